using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// Per-replica hooks for host-side logic that runs beside the Raft node (the lease host: keepalives, expiry
/// proposals, reads). The default does nothing. Hooks run inside a simulation step; the replica's Ready is
/// processed after the hook returns.
/// </summary>
public class ReplicaHost
{
    /// <summary>
    /// True for a host that runs the replica itself (the replica core): it makes the node at each start, gets the
    /// ticks and messages, and drains the node, persists and applies on its own (<see cref="Start"/>,
    /// <see cref="OnMessage"/>); the simulator then never takes a Ready of that replica.
    /// </summary>
    public virtual bool DrivesNode => false;

    /// <summary>For a host that <see cref="DrivesNode"/>: restores the replica from its durable store and returns its node.</summary>
    public virtual RaftNode Start(SimReplica replica, Random random) =>
        throw new NotSupportedException("This host does not drive its node.");

    /// <summary>For a host that <see cref="DrivesNode"/>: a message from a peer arrived.</summary>
    public virtual void OnMessage(SimReplica replica, RaftMessage message) => replica.Node!.Step(message);

    /// <summary>For a host that <see cref="DrivesNode"/>: a client's linearizable read arrives (the host's read path registers it with the checker).</summary>
    public virtual void Read(SimReplica replica, long requestId)
    {
    }

    /// <summary>The simulator asks the leader to hand leadership to <paramref name="target"/> (a draining silo).</summary>
    public virtual object TransferLeadership(SimReplica replica, int target) => replica.Node!.TransferLeadership(target);

    /// <summary>After the replica (re)started from its durable state.</summary>
    public virtual void OnStart(SimReplica replica)
    {
    }

    /// <summary>After each tick of the replica's node (ticks follow the replica's own, possibly drifting, clock).</summary>
    public virtual void OnTick(SimReplica replica)
    {
    }

    /// <summary>
    /// Right after <see cref="RaftNode.GetReady"/>, before anything of the Ready is sent, persisted or applied (where
    /// a host that reacts to <see cref="Ready.SoftState"/> at once, or notes the entries it starts to write, does so).
    /// </summary>
    public virtual void OnReady(SimReplica replica, Ready ready)
    {
    }

    /// <summary>After the Ready was persisted and applied, before Advance.</summary>
    public virtual void OnSoftStateChanged(SimReplica replica, SoftState state)
    {
    }

    /// <summary>After a snapshot received from the leader was installed into the replica's applier.</summary>
    public virtual void OnSnapshotInstalled(SimReplica replica, Snapshot snapshot)
    {
    }

    /// <summary>After the applier applied one committed entry (no-ops included).</summary>
    public virtual void OnApplied(SimReplica replica, in LogEntry entry)
    {
    }

    /// <summary>A read is safe to serve once the replica applied up to its index (checked by the simulator).</summary>
    public virtual void OnReadState(SimReplica replica, ReadState read)
    {
    }

    /// <summary>The replica crashed: everything not durable is gone.</summary>
    public virtual void OnCrash(SimReplica replica)
    {
    }
}
