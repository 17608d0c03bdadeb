using LockService.Raft;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// One run of the lease simulation: the Raft simulator's all-faults mix for the seed (<see cref="SimulationOptions.ForSeed"/>)
/// with replica clocks drifting within ε, and a client workload drawn from the same seed. Times in microseconds.
/// </summary>
internal sealed record LeaseSimOptions
{
    public const string ReplayCommand = "LEASE_SIM_SEED={0} dotnet test --project tests/Leases.Tests -- --filter-method '*ReplaySeed*'";

    public required SimulationOptions Raft { get; init; }

    /// <summary>ε: replicas' and clients' clocks run at 1 ± up to this; the lease clock is slowed by it.</summary>
    public double Epsilon { get; init; } = LeaseClock.DefaultRateBound;

    public int Clients { get; init; } = 6;

    /// <summary>Lock names the clients contend for ("lock/0" …).</summary>
    public int Locks { get; init; } = 3;

    /// <summary>Session TTLs the clients pick from (ms).</summary>
    public long[] TtlsMs { get; init; } = [1_000, 2_000, 3_000];

    /// <summary>Keepalive interval as a fraction of the TTL (drawn per client in this range).</summary>
    public double MinKeepAliveFraction { get; init; } = 0.25;

    public double MaxKeepAliveFraction { get; init; } = 0.6;

    /// <summary>Chance per client that it stops for good (abandons its session) at a random moment of the chaos.</summary>
    public double AbandonRate { get; init; } = 0.4;

    /// <summary>Chance per keepalive interval that the client process pauses (GC, swapped out), for up to two TTLs.</summary>
    public double StallRate { get; init; } = 0.03;

    /// <summary>Chance per acquire, and per release, that its caller cancels it at a random moment within 2 s.</summary>
    public double CancelRate { get; init; } = 0.1;

    /// <summary>Chance per operation that the client closes its session and opens a new one.</summary>
    public double CloseRate { get; init; } = 0.03;

    /// <summary>Chance that an acquire waits in the queue rather than trying once.</summary>
    public double WaitRate { get; init; } = 0.5;

    public double SharedRate { get; init; } = 0.25;

    /// <summary>Chance that an acquire asks for a permit of a semaphore ("sem/0" …) of <see cref="SemaphorePermits"/>.</summary>
    public double SemaphoreRate { get; init; } = 0.2;

    /// <summary>N of every semaphore of the workload; the checker's ground truth for "never more than N holders".</summary>
    public int SemaphorePermits { get; init; } = 2;

    /// <summary>The grain's MaxPollDuration: how long a request may stay open on the leader.</summary>
    public long MaxPollMicros { get; init; } = 2_000_000;

    /// <summary>The SDK's CallTimeout: how long one call to one replica may stay unanswered (client clock).</summary>
    public long CallTimeoutMicros { get; init; } = 600_000;

    /// <summary>Longest hold of a granted lock before the release is sent (client clock).</summary>
    public long MaxHoldMicros { get; init; } = 1_500_000;

    /// <summary>Chance that a storage write fails without landing (the replica's activation stops and reloads).</summary>
    public double WriteFailRate { get; init; }

    /// <summary>Chance that a write lands but its caller hears a timeout (outcome unknown: the activation stops too).</summary>
    public double WriteUnknownRate { get; init; }

    /// <summary>Chance that a write of several entries is torn: a prefix of its entries lands, not its hard state, and the replica crashes.</summary>
    public double TornWriteRate { get; init; }

    /// <summary>Mean interval between host faults: a long pause of one replica's host, or a second live activation of it.</summary>
    public long MeanHostFaultIntervalMicros { get; init; }

    /// <summary>Longest pause of a replica's host (longer than the session TTLs: timers, messages and storage all wait).</summary>
    public long MaxPauseMicros { get; init; } = 4_000_000;

    /// <summary>Longest a stale duplicate activation lives on beside the current one (Orleans eventually removes it).</summary>
    public long MaxDuplicateLifeMicros { get; init; } = 3_000_000;

    /// <summary>Chance per keepalive interval that a client's path to the current leader breaks for a while (its gateway silo paused).</summary>
    public double GatewayCutRate { get; init; }

    /// <summary>Chance that a client checks its token (IsCurrent) while it holds a lock, 1–3 times per hold.</summary>
    public double ReadRate { get; init; }

    /// <summary>
    /// Lulls of the workload during the chaos (start, length): every client finishes what it is doing, closes its
    /// sessions and waits for the lull to end, so the group goes idle (no sessions: no clock entries, only heartbeats).
    /// </summary>
    public (long StartMicros, long LengthMicros)[] Lulls { get; init; } = [];

    public static LeaseSimOptions ForSeed(int seed)
    {
        var raft = SimulationOptions.ForSeed(seed);
        if (raft.Replicas == 3 && new Random(seed ^ 0x5F1E).Next(3) == 0)
        {
            // Two seeds in three run five replicas (the Raft sweep: one in two), drawn apart so that each seed's other
            // draws stay what they were: a deposed leader that still hears one follower of the old term while the
            // majority has moved on needs five, so that is where a read quorum one short shows.
            raft = raft with { Replicas = 5, Raft = raft.Raft with { Voters = [0, 1, 2, 3, 4] } };
        }

        var random = new Random(seed ^ 0x1EA5E);
        const double epsilon = LeaseClock.DefaultRateBound;
        return new LeaseSimOptions
        {
            Epsilon = epsilon,
            Raft = raft with
            {
                MaxClockDrift = epsilon,
                MeanProposalIntervalMicros = 0, // the clients and the hosts propose
                ChaosMicros = 12_000_000,
                DrainMicros = 6_000_000,
                ReplayCommand = ReplayCommand,
                TraceLength = 120,
                Raft = raft.Raft with
                {
                    // The service always runs with check-quorum (ReplicaGrain leaves RaftConfig's default): a leader cut
                    // off from its peers steps down within an election timeout. The Raft sweep still draws it off for
                    // one seed in eight; here, without it, a cut-off leader answers Overloaded for good (seed 57554).
                    CheckQuorum = true,
                    // Room for a Tick with every session's renewal; the small limits of the Raft sweep would only
                    // starve the clock (that case has its own seeds: see Overloaded in the statistics).
                    MaxUncommittedBytes = Math.Max(raft.Raft.MaxUncommittedBytes, 1_000),
                    SnapshotChunkBytes = random.Next(4) == 0 ? raft.Raft.SnapshotChunkBytes : 64 + random.Next(2_048),
                },
            },
            Clients = 3 + random.Next(8),
            Locks = 1 + random.Next(4),
            TtlsMs = random.Next(3) == 0 ? [1_000, 1_500] : [1_000, 2_000, 3_000],
            MinKeepAliveFraction = 0.2,
            MaxKeepAliveFraction = random.Next(2) == 0 ? 0.5 : 0.95,
            AbandonRate = 0.2 + random.NextDouble() * 0.6,
            StallRate = random.NextDouble() * 0.08,
            CloseRate = random.NextDouble() * 0.06,
            WaitRate = random.NextDouble(),
            SharedRate = random.NextDouble() * 0.5,
            MaxPollMicros = 500_000 + random.Next(2_000_000),
            CallTimeoutMicros = 200_000 + random.Next(800_000),
            MaxHoldMicros = 100_000 + random.Next(1_500_000),
            CancelRate = random.NextDouble() * 0.3,
            WriteFailRate = random.NextDouble() * 0.004,
            WriteUnknownRate = random.NextDouble() * 0.004,
            TornWriteRate = random.NextDouble() * 0.05,
            MeanHostFaultIntervalMicros = 1_000_000 + random.Next(3_000_000),

            // Drawn last, so the draws above (and the rest of each seed's options) are what they were before.
            SemaphoreRate = random.NextDouble() * 0.4,
            GatewayCutRate = random.NextDouble() * 0.1,
            ReadRate = random.NextDouble() * 0.9,
            Lulls = Enumerable.Range(0, random.Next(3)).Select(_ => (1_000_000 + random.NextInt64(8_000_000), 3_000_000 + random.NextInt64(4_000_000))).ToArray(),
        };
    }
}
