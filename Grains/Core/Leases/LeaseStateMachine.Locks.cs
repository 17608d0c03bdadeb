using LockService.Client;

namespace LockService.Leases;

/// <summary>Locks: acquire, release, cancel, and FIFO promotion of waiters.</summary>
public sealed partial class LeaseStateMachine
{
    private LeaseResult ApplyAcquire(Acquire acquire)
    {
        if (!TryGetSession(acquire.Session, acquire.Request.Client, out var session))
        {
            return UnknownSession(acquire.Session);
        }

        if (LockNameRules.Check(acquire.Lock, _limits.MaxLockNameBytes) is { } problem)
        {
            return new Rejected(RejectionCode.InvalidName, problem);
        }

        if (acquire.Mode is not (LockMode.Exclusive or LockMode.Shared) ||
            acquire.LockDelayMs < 0 || acquire.LockDelayMs > _limits.MaxLockDelayMs || acquire.WaitUntilMs < 0)
        {
            return new Rejected(
                RejectionCode.InvalidArgument,
                $"Mode must be Exclusive or Shared, lock-delay 0..{_limits.MaxLockDelayMs} ms, wait deadline not negative.");
        }

        // Each request is its own entry: one client's session serves all of its callers, which contend for a lock
        // among themselves like any other holders (locks are not reentrant; a second exclusive request waits).
        _locks.TryGetValue(acquire.Lock, out var lockState);
        if (CheckSemaphoreArguments(acquire, lockState) is { } refusal)
        {
            return refusal;
        }

        if (session.EntryCount >= _limits.MaxLocksPerSession)
        {
            return LimitExceeded(LeaseLimit.LocksPerSession, _limits.MaxLocksPerSession, "locks held or awaited per session");
        }

        // No barging: a request is granted at once only if nobody waits, so a queued exclusive request is not
        // starved by shared requests that arrive after it.
        var blockedByCapacity = false;
        if (lockState is null || (lockState.WaiterCount == 0 && lockState.DelayUntilMs <= _clockMs &&
                                  CanHold(lockState, acquire.Mode, out blockedByCapacity)))
        {
            lockState ??= CreateLock(acquire.Lock, acquire.MaxCount);
            var entry = new LockEntry(lockState, session, acquire.Request.Sequence, acquire.Mode, acquire.LockDelayMs);
            session.AddEntry(entry);
            Hold(entry);
            return new Granted(entry.Token);
        }

        if (acquire.WaitUntilMs > _clockMs)
        {
            if (lockState.WaiterCount >= _limits.MaxWaitersPerLock)
            {
                return LimitExceeded(LeaseLimit.WaitersPerLock, _limits.MaxWaitersPerLock, "waiters per lock");
            }

            var entry = new LockEntry(lockState, session, acquire.Request.Sequence, acquire.Mode, acquire.LockDelayMs)
            {
                WaitUntilMs = acquire.WaitUntilMs,
            };
            session.AddEntry(entry);
            lockState.AddWaiter(entry);
            _deadlines.Push(new Deadline(entry.WaitUntilMs, DeadlineKind.Wait, entry));
            _waitDeadlines++;
            return new Queued(lockState.WaiterCount);
        }

        return blockedByCapacity
            ? LimitExceeded(LeaseLimit.HoldersPerLock, _limits.MaxHoldersPerLock, "holders per shared lock")
            : Busy.Instance;
    }

    private LeaseResult ApplyRelease(Release release)
    {
        if (!TryGetSession(release.Session, release.Request.Client, out var session))
        {
            return UnknownSession(release.Session);
        }

        if (!_locks.TryGetValue(release.Lock, out var lockState))
        {
            return NotHolder(release);
        }

        if (FindEntry(lockState, session, e => e.State == EntryState.Holding && e.Token == release.Token) is { } entry)
        {
            lockState.RemoveHolder(entry);
            session.RemoveEntry(entry);
            session.HeldCount--;
            entry.State = EntryState.Gone;
            Touch(lockState);
            PromoteTouched();
            return Done.Instance;
        }

        // A token older than a current holder's was superseded; it can never free the newer grant.
        return lockState.LastHolder is { } newest && release.Token < newest.Token
            ? StaleToken(release, newest.Token)
            : NotHolder(release);
    }

    private LeaseResult ApplyCancelWait(CancelWait cancel)
    {
        if (!TryGetSession(cancel.Session, cancel.Request.Client, out var session))
        {
            return UnknownSession(cancel.Session);
        }

        if (_locks.TryGetValue(cancel.Lock, out var lockState) &&
            FindEntry(lockState, session, e => e.Sequence == cancel.AcquireSequence) is { } entry)
        {
            if (entry.State == EntryState.Holding)
            {
                return new Granted(entry.Token); // Too late to cancel: the lock is held; release it if unwanted.
            }

            Withdraw(entry, Busy.Instance);
            PromoteTouched();
            return Done.Instance;
        }

        return new Rejected(
            RejectionCode.NotWaiting,
            $"Request {cancel.AcquireSequence} of session {cancel.Session} does not wait for '{cancel.Lock}' (it timed out, was cancelled, or never queued).");
    }

    /// <summary>
    /// The answer to a re-issued waiting Acquire that its client has acknowledged (see <c>ApplyClientCommand</c>):
    /// Granted with its token once promoted, Queued while it waits, Busy once the wait ended without a grant (its
    /// deadline passed or it was withdrawn). Reads only: a stale copy can never queue or grant a second time.
    /// </summary>
    private LeaseResult AnswerFromWait(Acquire acquire)
    {
        if (!TryGetSession(acquire.Session, acquire.Request.Client, out var session))
        {
            return UnknownSession(acquire.Session);
        }

        if (!_locks.TryGetValue(acquire.Lock, out var lockState) ||
            FindEntry(lockState, session, e => e.Sequence == acquire.Request.Sequence) is not { } entry)
        {
            return Busy.Instance;
        }

        if (entry.State == EntryState.Holding)
        {
            return new Granted(entry.Token);
        }

        var position = 1;
        for (var waiter = lockState.FirstWaiter; waiter is not null && !ReferenceEquals(waiter, entry); waiter = waiter.Next)
        {
            position++;
        }

        return new Queued(position);
    }

    /// <summary>Whether a new holder of <paramref name="mode"/> fits beside the current holders.</summary>
    private bool CanHold(LockState lockState, LockMode mode, out bool blockedByCapacity)
    {
        blockedByCapacity = false;
        if (lockState.IsSemaphore)
        {
            return CanGrantPermit(lockState);
        }

        if (lockState.HolderCount == 0)
        {
            return true;
        }

        if (mode == LockMode.Exclusive || lockState.HasExclusiveHolder)
        {
            return false;
        }

        blockedByCapacity = lockState.HolderCount >= _limits.MaxHoldersPerLock;
        return !blockedByCapacity;
    }

    /// <summary>
    /// Grants waiters from the head of the queue while they fit: one exclusive waiter when the lock is free, or a
    /// run of shared waiters beside shared holders. Stops at the first that does not fit (FIFO).
    /// </summary>
    private void Promote(LockState lockState)
    {
        if (lockState.DelayUntilMs > _clockMs)
        {
            return;
        }

        var waiter = lockState.FirstWaiter;
        while (waiter is not null)
        {
            var next = waiter.Next;
            if (!waiter.Session.Alive)
            {
                // Re-checked at promotion: a waiter whose session has ended is never granted (etcd #11456).
                Withdraw(waiter, UnknownSession(waiter.Session.Id));
            }
            else if (CanHold(lockState, waiter.Mode, out _))
            {
                lockState.RemoveWaiter(waiter);
                LeaveWaiting(waiter);
                Hold(waiter);
                Resolve(waiter, new Granted(waiter.Token));
                if (waiter.Mode == LockMode.Exclusive)
                {
                    return;
                }
            }
            else
            {
                return;
            }

            waiter = next;
        }
    }

    /// <summary>Makes the entry a holder with the token of the entry being applied.</summary>
    private void Hold(LockEntry entry)
    {
        entry.State = EntryState.Holding;
        entry.Token = CurrentToken;
        entry.Session.HeldCount++;
        entry.Lock.AddHolder(entry);
    }

    /// <summary>Takes a waiter out of its queue and session; the lock is re-examined at the end of the step.</summary>
    private void Withdraw(LockEntry waiter, LeaseResult answer)
    {
        waiter.Lock.RemoveWaiter(waiter);
        waiter.Session.RemoveEntry(waiter);
        LeaveWaiting(waiter);
        waiter.State = EntryState.Gone;
        Touch(waiter.Lock);
        Resolve(waiter, answer);
    }

    private void LeaveWaiting(LockEntry waiter)
    {
        if (waiter.WaitUntilMs != Acquire.NoWait)
        {
            _waitDeadlines--;
        }
    }

    /// <summary>The waiting Acquire has its final answer: remember it for retries and tell the host.</summary>
    private void Resolve(LockEntry waiter, LeaseResult answer)
    {
        waiter.Session.Client.UpdateAnswer(waiter.Sequence, answer);
        Emit(new WaitResolved(waiter.Session.Id, waiter.Request, waiter.Lock.Name, answer));
    }

    /// <summary>The session's entry for the lock that matches, searching whichever list is shorter.</summary>
    private static LockEntry? FindEntry(LockState lockState, SessionState session, Func<LockEntry, bool> matches)
    {
        if (session.EntryCount <= lockState.HolderCount + lockState.WaiterCount)
        {
            for (var entry = session.FirstEntry; entry is not null; entry = entry.SessionNext)
            {
                if (ReferenceEquals(entry.Lock, lockState) && matches(entry))
                {
                    return entry;
                }
            }

            return null;
        }

        for (var entry = lockState.FirstHolder; entry is not null; entry = entry.Next)
        {
            if (ReferenceEquals(entry.Session, session) && matches(entry))
            {
                return entry;
            }
        }

        for (var entry = lockState.FirstWaiter; entry is not null; entry = entry.Next)
        {
            if (ReferenceEquals(entry.Session, session) && matches(entry))
            {
                return entry;
            }
        }

        return null;
    }

    private static Rejected NotHolder(Release release) =>
        new(RejectionCode.NotHolder, $"Session {release.Session} does not hold '{release.Lock}' with token {release.Token}.");

    private static Rejected StaleToken(Release release, FencingToken current) =>
        new(RejectionCode.StaleToken, $"Token {release.Token} for '{release.Lock}' is stale: the lock was granted again with token {current}.");
}
