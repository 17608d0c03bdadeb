using LockService.Raft;

namespace LockService.Simulation;

/// <summary>One simulated replica: its durable store survives crashes; its node, applier and clock ticks do not.</summary>
public sealed class SimReplica
{
    internal SimReplica(Simulation simulation, int id, RaftConfig config, IReplicaApplier applier, ReplicaHost host, VirtualClock clock)
    {
        Simulation = simulation;
        Id = id;
        Config = config;
        Applier = applier;
        Host = host;
        Clock = clock;
    }

    /// <summary>The simulation this replica lives in (its time, random source, trace and network).</summary>
    public Simulation Simulation { get; }

    public int Id { get; }

    public RaftConfig Config { get; }

    /// <summary>The live node, or null while the replica is down.</summary>
    public RaftNode? Node { get; internal set; }

    public bool IsUp => Node is not null;

    /// <summary>Counts restarts; events for an earlier incarnation (its clock ticks) are ignored.</summary>
    public int Incarnation { get; internal set; }

    public IReplicaApplier Applier { get; internal set; }

    public ReplicaHost Host { get; }

    public VirtualClock Clock { get; }

    public DurableStore Durable { get; } = new();

    /// <summary>Index of the last entry applied to <see cref="Applier"/> (or restored from a snapshot).</summary>
    public long AppliedIndex { get; internal set; }

    internal long NextLocalTickMicros { get; set; }

    /// <summary>A Ready whose write is still in progress (the node keeps stepping messages meanwhile).</summary>
    internal Ready? PendingReady { get; set; }

    /// <summary>Highest commit index of this incarnation already checked against the committed log.</summary>
    internal long CheckedCommit { get; set; }

    internal RaftRole LastRole { get; set; }

    internal long LastTerm { get; set; }

    public override string ToString() => Node?.ToString() ?? $"node {Id} down";
}
