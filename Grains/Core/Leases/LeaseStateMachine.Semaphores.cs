using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// Semaphores: a lock record whose capacity is N permits (<see cref="LockState.MaxCount"/>), all holders shared,
/// waiters in FIFO order like a lock's, permits freed with their session. Each permit is fenced with its own token:
/// at most one permit of a semaphore is granted per log entry, so tokens grow strictly per semaphore. When one
/// entry frees several permits (a session holding many expires or closes), the first waiter is granted at once and
/// the next ones by the following Ticks, one each (the leader proposes a Tick at its next tick interval while a
/// deferred grant waits: <see cref="HasDeferredGrants"/>). Only Ticks do it, so a client command still changes nothing but what it asks for (a refused or repeated
/// command changes nothing at all).
/// </summary>
public sealed partial class LeaseStateMachine
{
    /// <summary>Semaphores with a free permit and a waiter that the entry being applied could not grant any more.</summary>
    private readonly List<LockState> _pendingPermits = [];

    private int _semaphoreCount;

    /// <summary>Semaphores in the state (held or waited for).</summary>
    public int SemaphoreCount => _semaphoreCount;

    /// <summary>Null when an Acquire's semaphore arguments are valid and fit the name's current use, else the refusal.</summary>
    private Rejected? CheckSemaphoreArguments(Acquire acquire, LockState? lockState)
    {
        if (acquire.MaxCount < 0 || acquire.MaxCount > _limits.MaxHoldersPerLock)
        {
            return new Rejected(
                RejectionCode.InvalidArgument,
                $"A semaphore must have 1..{_limits.MaxHoldersPerLock} permits; got {acquire.MaxCount}.");
        }

        if (acquire.MaxCount > 0 && (acquire.Mode != LockMode.Shared || acquire.LockDelayMs != 0))
        {
            return new Rejected(RejectionCode.InvalidArgument, "A semaphore permit is acquired in Shared mode, without lock-delay.");
        }

        if (lockState is null || lockState.MaxCount == acquire.MaxCount)
        {
            return null;
        }

        return new Rejected(
            RejectionCode.KindMismatch,
            lockState.IsSemaphore && acquire.MaxCount > 0
                ? $"'{acquire.Lock}' is in use as a semaphore of {lockState.MaxCount} permits, not {acquire.MaxCount}: use one permit count per name."
                : lockState.IsSemaphore
                    ? $"'{acquire.Lock}' is in use as a semaphore ({lockState.MaxCount} permits): it cannot be acquired as a lock; use another name."
                    : $"'{acquire.Lock}' is in use as a lock: it cannot be acquired as a semaphore; use another name.");
    }

    /// <summary>A permit is free, and none was granted by the entry being applied (one token, one permit).</summary>
    private bool CanGrantPermit(LockState semaphore) =>
        semaphore.HolderCount < semaphore.MaxCount && semaphore.LastHolder?.Token != CurrentToken;

    /// <summary>After promotion: a semaphore that still has a free permit and a waiter is granted by the next entry.</summary>
    private void DeferPermitIfPending(LockState semaphore)
    {
        if (semaphore.IsSemaphore && !semaphore.PendingPromotion && semaphore.FirstWaiter is not null &&
            semaphore.HolderCount < semaphore.MaxCount)
        {
            semaphore.PendingPromotion = true;
            _pendingPermits.Add(semaphore);
        }
    }

    /// <summary>
    /// In each Tick, once its expiries are done: lists the semaphores with a deferred grant for promotion (one permit
    /// each), in creation order, so that every replica, whether it applied the log or restored a snapshot, emits the
    /// same events.
    /// </summary>
    private void TouchPendingPermits()
    {
        if (_pendingPermits.Count == 0)
        {
            return;
        }

        if (_pendingPermits.Count > 1)
        {
            _pendingPermits.Sort(static (x, y) => x.Sequence.CompareTo(y.Sequence));
        }

        foreach (var semaphore in _pendingPermits)
        {
            semaphore.PendingPromotion = false;
            if (_locks.TryGetValue(semaphore.Name, out var current) && ReferenceEquals(current, semaphore))
            {
                Touch(semaphore);
            }
        }

        _pendingPermits.Clear();
    }

    /// <summary>After a restore: the semaphores whose next grant was deferred when the snapshot was taken.</summary>
    private void RebuildPendingPermits()
    {
        for (var lockState = _lockOrder.First; lockState is not null; lockState = lockState.OrderNext)
        {
            DeferPermitIfPending(lockState);
        }
    }
}
