using System.Collections.Concurrent;
using System.Diagnostics;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// The lease state machine and the replica grain's lease logic driven through the Raft simulator with a client
/// workload (docs/SIMULATION.md, "Lease simulation"). LEASE_SIM_SEEDS sets how many seeds the sweep runs (default
/// <see cref="DefaultSeeds"/>), LEASE_SIM_FIRST_SEED the first one; LEASE_SIM_SEED replays one seed with its trace.
/// </summary>
public sealed class LeaseSimulationTests
{
    private const int DefaultSeeds = 2000;

    [Fact]
    public void Sweep_AllFaults_LeasePropertiesHoldOnEverySeed()
    {
        var count = EnvironmentInt("LEASE_SIM_SEEDS", DefaultSeeds);
        var first = EnvironmentInt("LEASE_SIM_FIRST_SEED", 1);
        var failures = new ConcurrentBag<SimulationFailedException>();
        var totals = new ConcurrentBag<(int Seed, LeaseSimStats Stats)>();
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(
            first,
            first + count,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            seed =>
            {
                try
                {
                    totals.Add((seed, new LeaseWorld(seed, LeaseSimOptions.ForSeed(seed)).Run()));
                }
                catch (SimulationFailedException failure)
                {
                    failures.Add(failure);
                }
            });

        var stats = totals.Select(t => t.Stats).ToList();
        var mostSteps = totals.MaxBy(t => t.Stats.Raft.Steps);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{count} seeds from {first} in {stopwatch.Elapsed.TotalSeconds:F1} s, {failures.Count} failed: " +
            $"{stats.Sum(s => s.Raft.Steps)} steps (most {mostSteps.Stats?.Raft.Steps ?? 0}, seed {mostSteps.Seed}), {stats.Sum(s => s.LeaderChanges)} leader changes, {stats.Sum(s => s.Raft.Crashes)} crashes, " +
            $"{stats.Sum(s => s.CommandsApplied)} commands, {stats.Sum(s => s.SessionsOpened)} sessions, {stats.Sum(s => s.RenewalsAcknowledged)} renewals acknowledged, " +
            $"{stats.Sum(s => s.GrantsAcknowledged)} grants acknowledged, {stats.Sum(s => s.Expiries)} expiries ({stats.Sum(s => s.ExpiriesOfStoppedSessions)} of stopped clients), " +
            $"{stats.Sum(s => s.CallsForwarded)} calls forwarded ({stats.Sum(s => s.ForwardsRefused)} reached a deposed leader); " +
            $"smallest margin after a client's deadline {Min(stats, s => s.SmallestExpiryMarginMicros)} ms, " +
            $"smallest clock slack {stats.Select(s => s.SmallestClockSlackMs).DefaultIfEmpty().Min():F1} ms, " +
            $"largest renewal delay {Max(stats, s => s.LargestRenewalDelayMicros)} ms (leader not working meanwhile: {Max(stats, s => s.LargestRenewalDelayAnyMicros)} ms), largest expiry delay after due {Max(stats, s => s.LargestExpiryDelayMicros)} ms, " +
            $"largest life beyond ttl after the last renewing send {Max(stats, s => s.LargestLifeBeyondTtlMicros)} ms " +
            $"({Max(stats, s => s.LargestCountedLifeBeyondTtlMicros)} ms not counting time lost by design and without a working leader), " +
            $"largest base loss {stats.Select(s => s.LargestBaseLossMicros).DefaultIfEmpty().Max() / 1000} ms, longest without a working leader {stats.Select(s => s.LongestWithoutLeaderMicros).DefaultIfEmpty().Max() / 1000} ms");
        TestContext.Current.TestOutputHelper?.WriteLine( // read by tools/mutants.sh
            $"sweep result: {failures.Count} of {count} failed, first {(failures.IsEmpty ? "-" : failures.Min(f => f.Seed).ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        if (!failures.IsEmpty)
        {
            var ordered = failures.OrderBy(f => f.Seed).ToList();
            Assert.Fail(
                $"{ordered.Count} of {count} seeds failed:\n{string.Join("\n", ordered.Take(20).Select(f => $"  seed {f.Seed}: {f.Reason}"))}\n\n{ordered[0].Message}\n{ordered[0].InnerException}");
        }

        Assert.True(stats.Sum(s => s.Expiries) > count, "the workload hardly expires sessions");
        Assert.True(stats.Sum(s => s.GrantsAcknowledged) > 10 * count, "the workload hardly acquires locks");
        Assert.True(stats.Sum(s => s.PermitsApplied) > count, "the workload hardly acquires semaphore permits");
    }

    /// <summary>
    /// Seeds that failed a 100,000-seed sweep, replayed in every run. 2904 (at 874a2d4): a follower installing a
    /// snapshot one 1-byte chunk per round trip never caught up, since the leader compacted past each snapshot before
    /// its transfer ended. 57554 (at 181974c): a leader without check-quorum cut off from its peers kept answering
    /// Overloaded, and the SDK's clean-up of an abandoned acquire kept asking it; the lease simulation now always runs
    /// check-quorum, as the service does.
    /// </summary>
    [Theory]
    [InlineData(2904)]
    [InlineData(57554)]
    public void Seeds_that_failed_a_long_sweep_pass(int seed)
    {
        var stats = new LeaseWorld(seed, LeaseSimOptions.ForSeed(seed)).Run();
        Assert.True(stats.Raft.Steps > 0);
    }

    /// <summary>Replays LEASE_SIM_SEED (default 1) and prints its options, statistics and the last LEASE_SIM_TRACE (default 120) events.</summary>
    [Fact]
    public void ReplaySeed()
    {
        var seed = EnvironmentInt("LEASE_SIM_SEED", 1);
        var options = LeaseSimOptions.ForSeed(seed);
        options = options with { Raft = options.Raft with { TraceLength = EnvironmentInt("LEASE_SIM_TRACE", options.Raft.TraceLength) } };
        var world = new LeaseWorld(seed, options);
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"seed {seed}: {world.Options}");
        var stats = world.Run();
        output?.WriteLine(stats.ToString());
        output?.WriteLine(world.Sim.Trace.Format());
    }

    [Fact]
    public void SameSeed_ReplaysExactly()
    {
        static string Run(int seed)
        {
            var world = new LeaseWorld(seed, LeaseSimOptions.ForSeed(seed));
            var stats = world.Run();
            return $"{stats}\n{world.Sim.Trace.Format()}";
        }

        Assert.Equal(Run(11), Run(11));
    }

    private static long Min(List<LeaseSimStats> stats, Func<LeaseSimStats, long> selector) =>
        stats.Select(selector).Where(v => v != long.MaxValue).DefaultIfEmpty().Min() / 1000;

    private static long Max(List<LeaseSimStats> stats, Func<LeaseSimStats, long> selector) =>
        stats.Select(selector).DefaultIfEmpty().Max() / 1000;

    private static int EnvironmentInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;
}
