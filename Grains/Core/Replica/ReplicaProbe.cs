using LockService.Leases;
using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// Observation points inside the replica core for checkers (the simulator's invariants); null in production. A
/// probe only watches: it never changes what the core does.
/// </summary>
public abstract class ReplicaProbe
{
    /// <summary>Right before the core takes a Ready from the Raft node.</summary>
    public virtual void BeforeReady()
    {
    }

    /// <summary>The core starts writing these entries (they reach the replica's log now).</summary>
    public virtual void OnWriteStarted(ReadOnlySpan<LogEntry> entries)
    {
    }

    public virtual void OnProposed(ProposeResult result, LeaseCommand command)
    {
    }

    /// <summary>This replica took up the lease clock as leader of <paramref name="term"/>.</summary>
    public virtual void OnBecameLeader(long term)
    {
    }

    public virtual void OnSoftState(SoftState state)
    {
    }

    /// <summary>A snapshot from the leader replaced the state machine.</summary>
    public virtual void OnSnapshotInstalled(Snapshot snapshot)
    {
    }

    /// <summary>One committed entry applied (no-ops included: <paramref name="command"/> null).</summary>
    public virtual void OnApplied(in LogEntry entry, LeaseCommand? command, LeaseResult? result, IReadOnlyList<LeaseEvent> events)
    {
    }

    public virtual void OnReadIssued(long readId)
    {
    }

    public virtual void OnReadState(ReadState read)
    {
    }
}
