using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// Per-replica hooks for host-side logic that runs beside the Raft node (the lease host: keepalives, expiry
/// proposals, reads). The default does nothing. Hooks run inside a simulation step; the replica's Ready is
/// processed after the hook returns.
/// </summary>
public class ReplicaHost
{
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
