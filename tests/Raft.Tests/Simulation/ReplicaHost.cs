using LockService.Raft;

namespace LockService.Raft.Tests.Simulation;

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

    public virtual void OnSoftStateChanged(SimReplica replica, SoftState state)
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
