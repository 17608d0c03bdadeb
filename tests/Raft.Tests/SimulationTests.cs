using System.Collections.Concurrent;
using System.Diagnostics;
using LockService.Simulation;

namespace LockService.Raft.Tests;

/// <summary>
/// The deterministic simulation sweep (docs/SIMULATION.md). RAFT_SIM_SEEDS sets how many seeds (default 2,000),
/// RAFT_SIM_FIRST_SEED the first one; RAFT_SIM_SEED replays one seed with the last RAFT_SIM_TRACE (default 80) events.
/// </summary>
public sealed class SimulationTests
{
    [Fact]
    public void Sweep_AllFaults_EverySeedKeepsEveryInvariant()
    {
        var count = EnvironmentInt("RAFT_SIM_SEEDS", 2_000);
        var first = EnvironmentInt("RAFT_SIM_FIRST_SEED", 1);
        var failures = new ConcurrentBag<SimulationFailedException>();
        long steps = 0;
        long committed = 0;
        var mostSteps = (Steps: 0L, Seed: 0);
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(
            first,
            first + count,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            seed =>
            {
                try
                {
                    var stats = new Simulation.Simulation(seed, SimulationOptions.ForSeed(seed)).Run();
                    Interlocked.Add(ref steps, stats.Steps);
                    Interlocked.Add(ref committed, stats.HighestCommitted);
                    lock (failures)
                    {
                        mostSteps = stats.Steps > mostSteps.Steps ? (stats.Steps, seed) : mostSteps;
                    }
                }
                catch (SimulationFailedException failure)
                {
                    failures.Add(failure);
                }
            });

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{count} seeds from {first}: {steps} steps (most {mostSteps.Steps}, seed {mostSteps.Seed}), {committed} entries committed, {failures.Count} failures, {stopwatch.Elapsed.TotalSeconds:F1} s");
        TestContext.Current.TestOutputHelper?.WriteLine( // read by tools/mutants.sh
            $"sweep result: {failures.Count} of {count} failed, first {(failures.IsEmpty ? "-" : failures.Min(f => f.Seed).ToString(System.Globalization.CultureInfo.InvariantCulture))}");
        if (!failures.IsEmpty)
        {
            var ordered = failures.OrderBy(f => f.Seed).ToList();
            Assert.Fail(
                $"{ordered.Count} of {count} seeds failed: {string.Join(", ", ordered.Take(20).Select(f => f.Seed))}\n\n{ordered[0].Message}");
        }
    }

    /// <summary>Replays RAFT_SIM_SEED (default: seed 1) and prints its statistics and trace tail.</summary>
    [Fact]
    public void ReplaySeed()
    {
        var seed = EnvironmentInt("RAFT_SIM_SEED", 1);
        var options = SimulationOptions.ForSeed(seed);
        options = options with { TraceLength = EnvironmentInt("RAFT_SIM_TRACE", options.TraceLength) };
        var simulation = new Simulation.Simulation(seed, options);
        var stats = simulation.Run();
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"seed {seed}: {simulation.Options}");
        output?.WriteLine(
            $"steps={stats.Steps} sent={stats.MessagesSent} delivered={stats.MessagesDelivered} crashes={stats.Crashes} " +
            $"leaders={stats.LeadersElected} committed={stats.HighestCommitted} accepted={stats.ProposalsAccepted} " +
            $"overloaded={stats.ProposalsOverloaded} reads={stats.ReadsServed} snapshots={stats.SnapshotsInstalled} " +
            $"liveness={stats.LivenessMicros / 1000} ms");
        output?.WriteLine(simulation.Trace.Format());
    }

    [Fact]
    public void SameSeed_ReplaysExactly()
    {
        static string Run(int seed)
        {
            var simulation = new Simulation.Simulation(seed, SimulationOptions.ForSeed(seed));
            var stats = simulation.Run();
            return $"{stats.Steps}/{stats.MessagesSent}/{stats.HighestCommitted}/{stats.Crashes}\n{simulation.Trace.Format()}";
        }

        Assert.Equal(Run(7), Run(7));
    }

    private static int EnvironmentInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var value) ? value : fallback;
}

/// <summary>The simulator's extension points, which the lease state machine will use.</summary>
public sealed class SimulationHookTests
{
    [Fact]
    public void Hooks_AppliersHostsClocksAndStepChecksAreAllDriven()
    {
        var hosts = new List<CountingHost>();
        var appliers = 0;
        var steps = 0;
        var options = SimulationOptions.ForSeed(5) with { ChaosMicros = 3_000_000, MaxClockDrift = 0.05 };
        var simulation = new Simulation.Simulation(
            5,
            options,
            _ =>
            {
                appliers++;
                return new HashingApplier();
            },
            _ =>
            {
                var host = new CountingHost();
                hosts.Add(host);
                return host;
            });
        simulation.AfterEachStep = _ => steps++;

        var stats = simulation.Run();

        Assert.Equal(stats.Steps, steps);
        Assert.True(appliers >= options.Replicas * 2, "an applier per replica, and a fresh one per (re)start");
        Assert.All(hosts, h => Assert.True(h.Ticks > 0 && h.Starts > 0 && h.Readies > 0 && h.Applied > 0));
        Assert.Equal(stats.SnapshotsInstalled, hosts.Sum(h => h.SnapshotsInstalled));
        Assert.Contains(hosts, h => h.SoftStates.Any(s => s.Role == RaftRole.Leader));
        foreach (var replica in simulation.Replicas)
        {
            Assert.InRange(replica.Clock.Rate, 0.95, 1.05);
        }
    }

    [Fact]
    public void VirtualClock_RunsAtItsRateAndStaysContinuousWhenTheRateChanges()
    {
        long now = 0;
        var clock = new VirtualClock(() => now, 1.05, startLocalMicros: 500);
        now = 1_000_000;
        Assert.Equal(1_050_500, clock.NowMicros);
        clock.Rate = 0.5;
        Assert.Equal(1_050_500, clock.NowMicros);
        now = 2_000_000;
        Assert.Equal(1_550_500, clock.NowMicros);
        Assert.Equal(2_000_000, clock.GlobalAt(1_550_500));
    }

    [Fact]
    public void AfterEachStep_ViolationFailsTheRunWithItsSeedAndTrace()
    {
        var simulation = new Simulation.Simulation(9, SimulationOptions.ForSeed(9));
        simulation.AfterEachStep = s =>
        {
            if (s.NowMicros > 1_000_000)
            {
                throw new InvariantViolation("custom check");
            }
        };

        var failure = Assert.Throws<SimulationFailedException>(() => simulation.Run());
        Assert.Equal(9, failure.Seed);
        Assert.Contains("custom check", failure.Message);
        Assert.Contains("RAFT_SIM_SEED=9", failure.Message);
    }

    [Fact]
    public void HostEvents_RunAsSteps_AndTheDrainKeepsTheRunGoingAfterLiveness()
    {
        var options = SimulationOptions.ForSeed(3) with { ChaosMicros = 2_000_000, DrainMicros = 3_000_000 };
        var simulation = new Simulation.Simulation(3, options);
        var fired = new List<long>();
        simulation.At(1_500_000, () => fired.Add(simulation.NowMicros));
        simulation.At(1_000_000, () => simulation.After(250_000, () => fired.Add(simulation.NowMicros)));
        var markers = 0;
        simulation.LivenessCommand = () =>
        {
            markers++;
            return new byte[16];
        };

        var stats = simulation.Run();

        Assert.Equal([1_250_000, 1_500_000], fired);
        Assert.True(markers >= 1, "the liveness proposal comes from LivenessCommand");
        Assert.True(simulation.NowMicros >= options.ChaosMicros + stats.LivenessMicros + options.DrainMicros - options.TickMicros);
        Assert.True(simulation.IsQuiet);
    }

    private sealed class CountingHost : ReplicaHost
    {
        public int Ticks { get; private set; }

        public int Starts { get; private set; }

        public int Readies { get; private set; }

        public int Applied { get; private set; }

        public int SnapshotsInstalled { get; private set; }

        public double Rate { get; private set; }

        public List<SoftState> SoftStates { get; } = [];

        public override void OnStart(SimReplica replica) => Starts++;

        public override void OnReady(SimReplica replica, Ready ready) => Readies++;

        public override void OnApplied(SimReplica replica, in LogEntry entry) => Applied++;

        public override void OnSnapshotInstalled(SimReplica replica, Snapshot snapshot) => SnapshotsInstalled++;

        public override void OnTick(SimReplica replica)
        {
            Ticks++;
            Rate = replica.Clock.Rate;
        }

        public override void OnSoftStateChanged(SimReplica replica, SoftState state) => SoftStates.Add(state);
    }
}
