using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// A full consistency check of the state, for tests and debugging: links and counters agree, holders are
/// compatible, and no waiter could be granted (every apply step ends with its promotions done).
/// </summary>
public sealed partial class LeaseStateMachine
{
    internal void AssertConsistent()
    {
        Check(_locks.Count == _lockOrder.Count, "lock table and creation order disagree");
        Check(_sessions.Count == _sessionOrder.Count, "session table and creation order disagree");
        Check(_clients.Count == _clientOrder.Count, "client table and creation order disagree");

        var previousSequence = long.MinValue;
        var waitDeadlines = 0;
        for (var lockState = _lockOrder.First; lockState is not null; lockState = lockState.OrderNext)
        {
            Check(_locks.TryGetValue(lockState.Name, out var listed) && ReferenceEquals(listed, lockState), "lock missing from table");
            Check(lockState.Sequence > previousSequence, "lock creation order out of sequence");
            previousSequence = lockState.Sequence;
            Check(!lockState.IsIdle || lockState.DelayUntilMs != 0, $"idle lock '{lockState.Name}' kept");

            var holders = 0;
            var exclusive = 0;
            var newest = FencingToken.None;
            for (var entry = lockState.FirstHolder; entry is not null; entry = entry.Next, holders++)
            {
                Check(entry.State == EntryState.Holding && ReferenceEquals(entry.Lock, lockState), "holder list corrupt");
                Check(entry.Session.Alive && _sessions.ContainsKey(entry.Session.Id), "holder of a dead session");
                Check(entry.Token >= newest, "holders not in grant order");
                newest = entry.Token;
                exclusive += entry.Mode == LockMode.Exclusive ? 1 : 0;
            }

            Check(holders == lockState.HolderCount, "holder count wrong");
            if (lockState.IsSemaphore)
            {
                CheckSemaphore(lockState);
            }

            Check(exclusive == 0 || holders == 1, $"lock '{lockState.Name}' has an exclusive holder beside others");
            Check(holders <= _limits.MaxHoldersPerLock, "too many holders");

            var waiters = 0;
            for (var entry = lockState.FirstWaiter; entry is not null; entry = entry.Next, waiters++)
            {
                Check(entry.State == EntryState.Waiting && ReferenceEquals(entry.Lock, lockState), "waiter list corrupt");
                Check(entry.Session.Alive && _sessions.ContainsKey(entry.Session.Id), "waiter of a dead session");
                waitDeadlines += entry.WaitUntilMs != Acquire.NoWait ? 1 : 0;
            }

            Check(waiters == lockState.WaiterCount, "waiter count wrong");
            if (lockState.FirstWaiter is { } head && lockState.DelayUntilMs == 0 && !lockState.IsSemaphore) // semaphores: CheckSemaphore
            {
                Check(!CanHold(lockState, head.Mode, out _), $"waiter of '{lockState.Name}' could be granted but waits");
            }
        }

        Check(waitDeadlines == _waitDeadlines, "wait deadline count wrong");
        Check(_semaphoreCount == _locks.Values.Count(l => l.IsSemaphore), "semaphore count wrong");
        Check(_pendingPermits.All(l => l.PendingPromotion) && _pendingPermits.Distinct().Count() == _pendingPermits.Count, "pending permits corrupt");

        var sessionsPerClient = new Dictionary<ClientRecord, int>();
        for (var session = _sessionOrder.First; session is not null; session = session.OrderNext)
        {
            Check(session.Alive && _sessions.TryGetValue(session.Id, out var listed) && ReferenceEquals(listed, session), "session table corrupt");
            Check(_clients.TryGetValue(session.Client.Id, out var client) && ReferenceEquals(client, session.Client), "session of an unknown client");
            sessionsPerClient[session.Client] = sessionsPerClient.GetValueOrDefault(session.Client) + 1;
            var entries = 0;
            var held = 0;
            for (var entry = session.FirstEntry; entry is not null; entry = entry.SessionNext, entries++)
            {
                Check(ReferenceEquals(entry.Session, session) && entry.State != EntryState.Gone, "session entry list corrupt");
                Check(_locks.TryGetValue(entry.Lock.Name, out var lockState) && ReferenceEquals(lockState, entry.Lock), "entry of a removed lock");
                held += entry.State == EntryState.Holding ? 1 : 0;
            }

            Check(entries == session.EntryCount && held == session.HeldCount, "session counters wrong");
            Check(entries <= _limits.MaxLocksPerSession, "too many locks in a session");
        }

        for (var client = _clientOrder.First; client is not null; client = client.OrderNext)
        {
            Check(client.SessionCount > 0 && client.SessionCount == sessionsPerClient.GetValueOrDefault(client), "client session count wrong");
            Check(client.SessionCount <= _limits.MaxSessionsPerClient, "too many sessions for a client");
            Check(client.Answers.Count <= _limits.MaxPendingRequestsPerClient, "too many remembered answers");
        }
    }

    /// <summary>At most N permits, each with its own token (at most one grant per entry), all shared; a free
    /// permit beside a waiter only when this entry granted one already, and then the semaphore is pending.</summary>
    private void CheckSemaphore(LockState semaphore)
    {
        Check(semaphore.HolderCount <= semaphore.MaxCount, $"semaphore '{semaphore.Name}' has more than {semaphore.MaxCount} holders");
        Check(semaphore.DelayUntilMs == 0, $"semaphore '{semaphore.Name}' has a lock-delay");
        var previous = FencingToken.None;
        for (var entry = semaphore.FirstHolder; entry is not null; entry = entry.Next)
        {
            Check(entry.Mode == LockMode.Shared, $"semaphore '{semaphore.Name}' has a non-shared holder");
            Check(entry.Token > previous, $"two permits of '{semaphore.Name}' share token {entry.Token}");
            previous = entry.Token;
        }

        if (semaphore.FirstWaiter is not null && semaphore.HolderCount < semaphore.MaxCount)
        {
            Check(semaphore.PendingPromotion && _pendingPermits.Contains(semaphore), $"semaphore '{semaphore.Name}' has a free permit and a waiter, not pending");
        }
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"Lease state inconsistent: {what}.");
        }
    }
}
