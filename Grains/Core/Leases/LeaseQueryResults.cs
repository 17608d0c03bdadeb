using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// A lock as the state knows it. Remaining TTLs are measured on the lease clock passed to the query.
/// <paramref name="MaxCount"/>: 0 for a lock, the number of permits for a semaphore.
/// </summary>
public sealed record LockDescription(
    string Name,
    long DelayedUntilMs,
    IReadOnlyList<HolderInfo> Holders,
    IReadOnlyList<WaiterInfo> Waiters,
    int MaxCount = 0);

/// <summary>One holder: its session, the granting request, mode, token and the session's remaining TTL.</summary>
public sealed record HolderInfo(SessionId Session, RequestId Request, LockMode Mode, FencingToken Token, long SessionRemainingMs);

/// <summary>One waiter, in queue order (<paramref name="Position"/> 1 is next).</summary>
public sealed record WaiterInfo(SessionId Session, RequestId Request, LockMode Mode, long WaitUntilMs, int Position);

/// <summary>A session's lease and what it holds.</summary>
public sealed record SessionInfo(
    SessionId Id,
    ClientId Client,
    long TtlMs,
    long LastRenewalMs,
    long DeadlineMs,
    long RemainingMs,
    int HeldLocks,
    int WaitingLocks);

/// <summary>A line of a lock listing; <paramref name="MaxCount"/> is 0 for a lock, the permits of a semaphore.</summary>
public sealed record LockSummary(string Name, int Holders, int Waiters, LockMode? Mode, FencingToken NewestToken, int MaxCount = 0);

/// <summary>
/// One page of a listing in ordinal name order. Pass <paramref name="Continuation"/> as <c>after</c> for the next
/// page; null means this was the last.
/// </summary>
public sealed record LockPage(IReadOnlyList<LockSummary> Locks, string? Continuation);
