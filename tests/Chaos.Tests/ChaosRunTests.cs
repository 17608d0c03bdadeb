using LockService.Chaos.Harness;
using LockService.Chaos.History;

namespace LockService.Chaos.Tests;

/// <summary>
/// The bounded chaos run of CI: 3 supervised silo processes, Azurite, 4 client processes and about 90 s of faults
/// (as many kinds as fit: on a quiet machine all but the medium pause). Asserts safety (no violation) and eventual progress (every client acquired after the last fault
/// healed); the availability figures are printed, never asserted: on a shared machine they are noise.
/// </summary>
public sealed class ChaosRunTests
{
    [Fact]
    public async Task Ninety_seconds_of_faults_on_three_silos_break_no_promise()
    {
        var output = TestContext.Current.TestOutputHelper!;
        var options = new ChaosOptions
        {
            Silos = 3,
            Clients = 4,
            Duration = TimeSpan.FromSeconds(90),
            Quiet = TimeSpan.FromSeconds(15),
            IntervalMin = TimeSpan.FromSeconds(5),
            IntervalMax = TimeSpan.FromSeconds(8),

            // Faults after which no silo restarts come first: a restart waits for the silo's start-up, which on a
            // loaded machine can take a minute, and the nemesis injects nothing while a silo is down.
            Faults =
            [
                FaultKinds.AzuriteRestart, FaultKinds.ClientPause, FaultKinds.PartitionLeader, FaultKinds.PauseLeaderShort,
                FaultKinds.KillLeader, FaultKinds.PauseLeaderLong, FaultKinds.KillSilo,
            ],
            OutDirectory = Path.Combine(Path.GetTempPath(), "lockservice-chaos", "ci-" + Guid.NewGuid().ToString("N")[..8]),
            Log = line => output.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {line}"),
        };

        var result = await ChaosRunner.RunAsync(options, TestContext.Current.CancellationToken);

        Assert.NotEmpty(result.History.Faults);
        Assert.True(result.Violations.Count == 0, $"violations (history in {result.OutDirectory}):\n{string.Join('\n', result.Violations)}");
        Assert.All(Enumerable.Range(0, options.Clients), c => Assert.Contains(result.History.Grants, g => g.Client == c));
        Assert.Contains(result.History.Register, op => op.Accepted && op.Kind == RegisterOpKind.Write);
    }
}
