namespace LockService.Leases;

/// <summary>What only a Tick can do, so that a leader proposes one when it is needed and an idle group writes nothing.</summary>
public sealed partial class LeaseStateMachine
{
    /// <summary>
    /// The earliest lease-clock time at which a Tick may end something (a session, a wait, a lock-delay), or null when
    /// nothing can end by time. Early, never late: a renewed session's outdated deadline may still be counted.
    /// </summary>
    public long? NextDeadlineMs => _deadlines.EarliestMs;

    /// <summary>A semaphore has a freed permit and a waiter that only the next Tick grants (one permit per entry).</summary>
    public bool HasDeferredGrants => _pendingPermits.Count > 0;
}
