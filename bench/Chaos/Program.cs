// The chaos harness (issue 10): Azurite, N supervised silo processes, client processes with a fenced register, a
// nemesis, a history checker and an availability report. See bench/Chaos/README.md.
//
//   dotnet run -c Release --project bench/Chaos -- --silos 3 --minutes 30
//   dotnet run -c Release --project bench/Chaos -- client ...     (what the harness starts for each client)
using LockService.Chaos.Client;
using LockService.Chaos.Harness;

if (args.Length > 0 && args[0] == "client")
{
    return await ChaosClient.RunAsync(ChaosClientOptions.Parse(ChaosOptions.ParseArguments(args.Skip(1))));
}

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        usage: LockService.Chaos [--silos 3] [--replicas 3] [--clients 8] [--minutes 30 | --seconds 90] [--quiet-s 20] [--interval-s 10-20]
                                 [--faults kill-leader,pause-leader-short,...] [--seed 1] [--ttl-s 6] [--out DIR]
                                 [--silo-settings Membership:ProbeTimeout=00:00:02,...]
        faults: kill-leader kill-silo kill-two pause-leader-short pause-leader-medium pause-leader-long azurite-restart partition-leader client-pause
        exit code: 0 no violation, 3 a violation (see report.md in the output folder)
        """);
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
var result = await ChaosRunner.RunAsync(ChaosOptions.Parse(args), stop.Token);
return result.Violations.Count == 0 ? 0 : 3;
