using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// The knobs of one simulation run. Times are global microseconds. <see cref="ForSeed"/> draws a run with every
/// fault enabled at seed-dependent rates; tests may instead set exactly what they want.
/// </summary>
public sealed record SimulationOptions
{
    public int Replicas { get; init; } = 3;

    public long TickMicros { get; init; } = 50_000;

    /// <summary>Faults and workload run this long; then the network heals for a majority and liveness is checked.</summary>
    public long ChaosMicros { get; init; } = 12_000_000;

    /// <summary>After the chaos, a leader must commit a fresh proposal on the whole connected majority within this.</summary>
    public long LivenessMicros { get; init; } = 15_000_000;

    /// <summary>Each replica's clock runs at 1 ± up to this (0.02 = 2%).</summary>
    public double MaxClockDrift { get; init; } = 0.02;

    public long MinLatencyMicros { get; init; } = 200;

    public long MaxLatencyMicros { get; init; } = 8_000;

    public double DropRate { get; init; }

    public double DuplicateRate { get; init; }

    /// <summary>Chance that a message is held back for up to <see cref="LongDelayMaxMicros"/> (reordering it far).</summary>
    public double LongDelayRate { get; init; }

    public long LongDelayMaxMicros { get; init; } = 400_000;

    public bool Partitions { get; init; }

    public bool Crashes { get; init; }

    /// <summary>
    /// A Ready's write takes up to this long (0: done at once). Meanwhile the leader's early appends are out, the
    /// node keeps stepping messages, and a crash loses the write.
    /// </summary>
    public long MaxPersistMicros { get; init; }

    /// <summary>Chance per Ready that the replica crashes after sending its before-persist messages, before persisting.</summary>
    public double CrashDuringReadyRate { get; init; }

    /// <summary>Mean time between fault events (partition, heal, crash) during the chaos.</summary>
    public long MeanFaultIntervalMicros { get; init; } = 600_000;

    public long MaxDowntimeMicros { get; init; } = 2_000_000;

    /// <summary>Chance that a crash or isolation hits the current leader rather than a random replica.</summary>
    public double TargetLeaderRate { get; init; }

    /// <summary>Mean time between client proposals (0: none; hosts may propose themselves).</summary>
    public long MeanProposalIntervalMicros { get; init; } = 25_000;

    public long MeanReadIntervalMicros { get; init; } = 200_000;

    public long MeanTransferIntervalMicros { get; init; }

    /// <summary>Replicas compact once they applied this many entries past their snapshot (0: never).</summary>
    public int CompactEveryEntries { get; init; }

    /// <summary>Send every message through <see cref="RaftCodec"/> (encode at send, decode at delivery).</summary>
    public bool UseCodec { get; init; }

    /// <summary>Raft settings for every replica (the Id is set per replica).</summary>
    public RaftConfig Raft { get; init; } = new() { Id = 0, Voters = [0, 1, 2] };

    /// <summary>Events kept for the trace printed on a failure.</summary>
    public int TraceLength { get; init; } = 80;

    /// <summary>
    /// After liveness is reached, the run goes on this long on the quiet network (0: it ends at once), so that hosts
    /// can finish what they started (for example, sessions of stopped clients expiring).
    /// </summary>
    public long DrainMicros { get; init; }

    /// <summary>
    /// A run that takes more steps than this fails, by its seed: its messages or timers multiply (a resend answered by
    /// more resends), which would otherwise stall a sweep for minutes with no seed to replay. Seeds take about 5,000
    /// (Raft) and 10,000 (leases) steps; the most in 100,000 of each is in docs/SIMULATION.md.
    /// </summary>
    public long MaxSteps { get; init; } = 1_000_000;

    /// <summary>The command line printed with a failure to replay it; <c>{0}</c> is replaced by the seed.</summary>
    public string ReplayCommand { get; init; } = "RAFT_SIM_SEED={0} dotnet test --project tests/Raft.Tests -- --filter-method '*ReplaySeed*'";

    /// <summary>
    /// A run with all faults on. Rates are drawn per seed over wide ranges (swarm testing: a seed with rare faults
    /// explores long stable stretches, one with a fault every 100 ms explores leader churn).
    /// </summary>
    public static SimulationOptions ForSeed(int seed)
    {
        var random = new Random(seed ^ 0x5EED);
        var replicas = random.Next(2) == 0 ? 5 : 3;
        var voters = Enumerable.Range(0, replicas).ToArray();
        return new SimulationOptions
        {
            Replicas = replicas,
            DropRate = random.NextDouble() * 0.3,
            DuplicateRate = random.NextDouble() * 0.1,
            LongDelayRate = random.NextDouble() * 0.05,
            Partitions = true,
            Crashes = true,
            CrashDuringReadyRate = random.NextDouble() * 0.005,
            MaxPersistMicros = random.Next(4) == 0 ? 0 : 100 + random.Next(random.Next(2) == 0 ? 2_000 : 20_000),
            MeanFaultIntervalMicros = (long)(50_000 * Math.Pow(40, random.NextDouble())),
            MaxDowntimeMicros = (long)(100_000 * Math.Pow(30, random.NextDouble())),
            TargetLeaderRate = random.NextDouble(),
            MeanProposalIntervalMicros = 5_000 + random.Next(60_000),
            MeanReadIntervalMicros = 50_000 + random.Next(400_000),
            MeanTransferIntervalMicros = 500_000 + random.Next(4_000_000),
            CompactEveryEntries = 4 + random.Next(60),
            UseCodec = random.Next(4) == 0,
            Raft = new RaftConfig
            {
                Id = 0,
                Voters = voters,
                PreVote = random.Next(8) != 0,
                CheckQuorum = random.Next(8) != 0,
                MaxEntriesPerMessage = random.Next(3) == 0 ? 1 : 1 + random.Next(16),
                MaxBytesPerMessage = 64 + random.Next(512),
                MaxInflightAppends = 1 + random.Next(6),
                MaxUncommittedBytes = 200 + random.Next(4_000),
                SnapshotChunkBytes = random.Next(4) == 0 ? 1 + random.Next(8) : 8 + random.Next(120),

                // Its own draw, so the draws above (and what each seed ran before) stay as they were.
                CheckQuorumRounds = 1 + new Random(seed ^ 0xC0DE).Next(3),
            },
        };
    }
}
