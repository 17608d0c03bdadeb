using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// Read-only questions about the state. <c>clockMs</c> lets the host measure remaining TTLs on its own running
/// estimate of the lease clock (<see cref="LeaseClock.EstimateMs"/>); by default the applied clock is used.
/// </summary>
public sealed partial class LeaseStateMachine
{
    /// <summary>The lock's holders and waiters, or null if nobody holds or waits for it.</summary>
    public LockDescription? Describe(string lockName, long? clockMs = null) =>
        _locks.TryGetValue(lockName, out var lockState) ? Describe(lockState, clockMs ?? _clockMs, int.MaxValue) : null;

    /// <summary>The first <paramref name="maxEntries"/> holders and waiters of a lock (a bounded view for inspection).</summary>
    private static LockDescription Describe(LockState lockState, long now, int maxEntries)
    {
        var holders = new List<HolderInfo>(Math.Min(lockState.HolderCount, maxEntries));
        for (var entry = lockState.FirstHolder; entry is not null && holders.Count < maxEntries; entry = entry.Next)
        {
            holders.Add(new HolderInfo(entry.Session.Id, entry.Request, entry.Mode, entry.Token, entry.Session.DeadlineMs - now));
        }

        var waiters = new List<WaiterInfo>(Math.Min(lockState.WaiterCount, maxEntries));
        for (var entry = lockState.FirstWaiter; entry is not null && waiters.Count < maxEntries; entry = entry.Next)
        {
            waiters.Add(new WaiterInfo(entry.Session.Id, entry.Request, entry.Mode, entry.WaitUntilMs, waiters.Count + 1));
        }

        return new LockDescription(lockState.Name, lockState.DelayUntilMs, holders, waiters, lockState.MaxCount);
    }

    /// <summary>
    /// Where a waiting or granted acquire stands, without applying anything: Granted with its token once promoted,
    /// Queued with its position while it waits; null when the state machine holds no entry for that request (it was
    /// never queued, or its wait ended). Lets a leader answer a client's re-poll of a wait without a log entry.
    /// </summary>
    public LeaseResult? DescribeRequest(SessionId sessionId, string lockName, RequestId request)
    {
        if (!_sessions.TryGetValue(sessionId, out var session) || session.Client.Id != request.Client ||
            !_locks.TryGetValue(lockName, out var lockState) ||
            FindEntry(lockState, session, e => e.Sequence == request.Sequence) is not { } entry)
        {
            return null;
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

    /// <summary>
    /// Whether <paramref name="token"/> is the token of a current holder of the lock. A resource can ask this, or
    /// simply reject tokens lower than the highest it has seen.
    /// </summary>
    public bool IsCurrent(string lockName, FencingToken token)
    {
        if (!_locks.TryGetValue(lockName, out var lockState))
        {
            return false;
        }

        for (var entry = lockState.FirstHolder; entry is not null; entry = entry.Next)
        {
            if (entry.Token == token)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The session's lease, or null if it does not exist (expired, closed, never opened).</summary>
    public SessionInfo? GetSession(SessionId id, long? clockMs = null)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return null;
        }

        return new SessionInfo(
            session.Id,
            session.Client.Id,
            session.TtlMs,
            session.LastRenewalMs,
            session.DeadlineMs,
            session.DeadlineMs - (clockMs ?? _clockMs),
            session.HeldCount,
            session.EntryCount - session.HeldCount);
    }

    /// <summary>
    /// Locks whose names start with <paramref name="prefix"/> and sort (ordinally) after <paramref name="after"/>,
    /// at most <paramref name="limit"/> of them. Costs a scan of all locks (O(n log limit)): meant for inspection
    /// pages, not for the request path, and keeps the apply path free of a sorted index.
    /// </summary>
    public LockPage List(string prefix, string? after = null, int limit = 100)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);

        // Max-heap of the `limit` smallest names seen so far.
        var smallest = new PriorityQueue<LockState, string>(Comparer<string>.Create((x, y) => string.CompareOrdinal(y, x)));
        var matched = 0;
        foreach (var lockState in _locks.Values)
        {
            var name = lockState.Name;
            if (!name.StartsWith(prefix, StringComparison.Ordinal) ||
                (after is not null && string.CompareOrdinal(name, after) <= 0))
            {
                continue;
            }

            matched++;
            if (smallest.Count < limit)
            {
                smallest.Enqueue(lockState, name);
            }
            else if (string.CompareOrdinal(name, smallest.Peek().Name) < 0)
            {
                smallest.DequeueEnqueue(lockState, name);
            }
        }

        var page = new List<LockSummary>(smallest.Count);
        while (smallest.TryDequeue(out var lockState, out _))
        {
            page.Add(Summarize(lockState));
        }

        page.Reverse();
        return new LockPage(page, matched > limit ? page[^1].Name : null);
    }

    private static LockSummary Summarize(LockState lockState) =>
        new(
            lockState.Name,
            lockState.HolderCount,
            lockState.WaiterCount,
            lockState.FirstHolder?.Mode,
            lockState.LastHolder?.Token ?? FencingToken.None,
            lockState.MaxCount);
}
