using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using LockService.Chaos.Client;
using LockService.Chaos.History;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LockService.Chaos.Harness;

/// <summary>
/// One chaos run, start to end: Azurite on disk, supervised silo processes, client processes with the fenced
/// register, the nemesis for <see cref="ChaosOptions.Duration"/> minus a quiet end, then the checker and the report
/// (report.md and history.jsonl in <see cref="ChaosOptions.OutDirectory"/>). Everything it started, it stops.
/// </summary>
public static class ChaosRunner
{
    private static readonly TimeSpan AcquireTimeout = TimeSpan.FromSeconds(10);

    public static async Task<ChaosResult> RunAsync(ChaosOptions options, CancellationToken cancellationToken = default)
    {
        var log = options.Log;
        var logs = Path.Combine(options.OutDirectory, "logs");
        var partitions = new PartitionMarkers(Path.Combine(options.OutDirectory, "partitions"));
        System.IO.Directory.CreateDirectory(logs);
        System.IO.Directory.CreateDirectory(partitions.Directory);
        log($"chaos: {options.Silos} silos, {options.Replicas} replicas, {options.Clients} clients, {options.Duration.TotalSeconds:0} s, seed {options.Seed}; output in {options.OutDirectory}");

        await using var azurite = await AzuriteControl.StartAsync(Path.Combine(options.OutDirectory, "azurite"), cancellationToken);
        var environment = options.SiloSettings.ToDictionary(kv => "LockService__" + kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => kv.Value);
        environment["LockService__FaultInjection__PartitionDirectory"] = partitions.Directory;
        environment["LockService__ReplicasPerGroup"] = options.Replicas.ToString(CultureInfo.InvariantCulture);
        await using var cluster = await SiloProcessCluster.StartAsync(
            new SiloProcessOptions
            {
                StorageConnectionString = azurite.ConnectionString,
                Name = "chaos" + Guid.NewGuid().ToString("N")[..10],
                Silos = options.Silos,
                LogDirectory = logs,
                Environment = environment,
                StartTimeout = TimeSpan.FromSeconds(300),
            },
            cancellationToken);
        log($"silos up: {string.Join("; ", cluster.Silos)}");

        using var probeHost = await ClusterClientHost.StartAsync(cluster, cancellationToken: cancellationToken);
        var probe = new ReplicaProbe(probeHost.Services.GetRequiredService<IClusterClient>(), options.Replicas);
        var leader = await probe.WaitForLeaderAsync(0, TimeSpan.FromSeconds(300), spread: true, cancellationToken: cancellationToken);
        log($"group 0 leader {leader.ReplicaKey} term {leader.Term} on {leader.Silo}");

        using var recorder = new HistoryRecorder(Path.Combine(options.OutDirectory, "history.jsonl"));
        var register = new FencedRegister();
        await using var supervisor = new SiloSupervisor(cluster, (silo, at) => recorder.OnRejoin(at, silo.ToString()), log);
        supervisor.Start();
        var clients = new List<ClientProcess>();
        try
        {
            var chaosDll = ChaosDll();
            for (var i = 0; i < options.Clients; i++)
            {
                clients.Add(ClientProcess.Start(
                    chaosDll, new ChaosClientOptions(i, azurite.ConnectionString, cluster.Name, options.Locks, options.SessionTtl, AcquireTimeout), register, recorder, logs));
            }

            if (!await WaitAsync(() => recorder.ClientsThatAcquired() == options.Clients, TimeSpan.FromSeconds(300), cancellationToken))
            {
                throw new TimeoutException($"only {recorder.ClientsThatAcquired()} of {options.Clients} clients acquired within 300 s of start-up; see {logs}");
            }

            log($"all {options.Clients} clients acquire; the nemesis starts");

            var nemesis = new Nemesis(options, cluster, probe, probeHost.Services.GetRequiredService<IClusterClient>(), azurite, clients, partitions, new Random(options.Seed));
            await ShakeAsync(options, nemesis, supervisor, recorder, cancellationToken);

            if (!await WaitAsync(() => supervisor.AllReady, TimeSpan.FromSeconds(300), cancellationToken))
            {
                log("not every silo came back within 300 s; checking the history anyway");
            }

            log($"quiet for {options.Quiet.TotalSeconds:0} s");
            await Task.Delay(options.Quiet, cancellationToken);
            var end = Stopwatch.GetTimestamp();
            await Task.WhenAll(clients.Select(c => c.StopAsync(TimeSpan.FromSeconds(10))));

            var history = recorder.Build(options.Clients, end, register.Ops);
            var result = new ChaosResult(HistoryChecker.Check(history), AvailabilityReport.Compute(history), history, supervisor.Restarts, recorder.Failures, options.OutDirectory);
            var report = Report(options, result);
            await File.WriteAllTextAsync(Path.Combine(options.OutDirectory, "report.md"), report, CancellationToken.None);
            log("\n" + report);
            return result;
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>LockService.Chaos.dll as built for this configuration (the client processes run it).</summary>
    public static string ChaosDll()
    {
        var here = typeof(ChaosRunner).Assembly.Location;
        if (File.Exists(Path.ChangeExtension(here, ".runtimeconfig.json")))
        {
            return here;
        }

        var configuration = typeof(ChaosRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Release";
        return Path.Combine(AzuriteScript.RepositoryRoot(), "bench", "Chaos", "bin", configuration, "net10.0", "LockService.Chaos.dll");
    }

    /// <summary>How long every silo must have been up before the next fault (see <see cref="SiloSupervisor.SettledFor"/>).</summary>
    private static readonly TimeSpan SettleAfterRejoin = TimeSpan.FromSeconds(3);

    private static async Task ShakeAsync(ChaosOptions options, Nemesis nemesis, SiloSupervisor supervisor, HistoryRecorder recorder, CancellationToken cancellationToken)
    {
        var random = new Random(options.Seed + 1);
        var faultsEnd = Stopwatch.GetTimestamp() + Ticks(options.Duration - options.Quiet);
        var next = Stopwatch.GetTimestamp() + Ticks(Interval(options, random));
        for (var index = 0; next < faultsEnd; index++)
        {
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), next) is { Ticks: > 0 } wait ? wait : TimeSpan.Zero, cancellationToken);

            // One fault at a time: a silo still restarting or just back (handing directory ranges over), or a replica
            // not yet moved home, would turn the next fault into a double one. Both at once: a silo paused past its
            // death declaration may exit while the group settles. On a starved machine silos can keep being evicted;
            // then the run ends with what it has rather than failing.
            var wholeSince = Stopwatch.GetTimestamp();
            if (!await WaitAsync(
                async () => supervisor.SettledFor(SettleAfterRejoin) && await nemesis.GroupWholeAsync(),
                Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), faultsEnd),
                cancellationToken))
            {
                options.Log("not every silo is back and settled with group 0 whole (a leader, its replicas on distinct silos), and the fault window is over");
                break;
            }

            if (Stopwatch.GetElapsedTime(wholeSince) > TimeSpan.FromSeconds(1))
            {
                options.Log($"silos settled and group 0 whole again after waiting {Stopwatch.GetElapsedTime(wholeSince).TotalMilliseconds:0} ms");
            }

            var kind = options.Faults[index % options.Faults.Length];
            var fault = await nemesis.InjectAsync(kind, cancellationToken);
            recorder.OnFault(fault);
            options.Log($"fault {index + 1}: {fault.Kind} on {fault.Target}, healed after {Stopwatch.GetElapsedTime(fault.StartTs, fault.HealTs).TotalMilliseconds:0} ms");
            next = Math.Max(fault.StartTs + Ticks(Interval(options, random)), fault.HealTs + Ticks(TimeSpan.FromSeconds(2)));
        }
    }

    private static string Report(ChaosOptions options, ChaosResult result)
    {
        var h = result.History;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Chaos run: {options.Silos} silos, {options.Replicas} replicas per group, {options.Clients} clients, {Stopwatch.GetElapsedTime(h.StartTs, h.EndTs).TotalSeconds:0} s, seed {options.Seed}");
        text.AppendLine(CultureInfo.InvariantCulture, $"load average at the end: {LoadAverage()}; {Environment.ProcessorCount} cores");
        text.AppendLine(CultureInfo.InvariantCulture, $"faults: {h.Faults.Count} ({string.Join(", ", h.Faults.GroupBy(f => f.Kind).Select(g => $"{g.Key} x{g.Count()}"))}); silo restarts: {result.SiloRestarts}");
        text.AppendLine(CultureInfo.InvariantCulture, $"grants: {h.Grants.Count}; register ops: {h.Register.Count} ({h.Register.Count(o => !o.Accepted)} refused as stale)");
        text.AppendLine(CultureInfo.InvariantCulture, $"client errors: {(result.Failures.Count == 0 ? "none" : string.Join(", ", result.Failures.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Key} x{kv.Value}")))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"violations: {result.Violations.Count}");
        foreach (var v in result.Violations)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  - {v}");
        }

        text.AppendLine();
        text.Append(result.Availability.Format());
        return text.ToString();
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static TimeSpan Interval(ChaosOptions options, Random random) =>
        options.IntervalMin + (options.IntervalMax - options.IntervalMin) * random.NextDouble();

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    /// <summary>Polls <paramref name="condition"/> (the supervisor and the clients raise no event); false on timeout.</summary>
    private static Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken) =>
        WaitAsync(() => Task.FromResult(condition()), timeout, cancellationToken);

    private static async Task<bool> WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks(timeout);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return false;
            }

            await Task.Delay(100, cancellationToken);
        }

        return true;
    }
}
