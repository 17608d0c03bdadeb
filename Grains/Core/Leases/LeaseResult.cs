using LockService.Client;

namespace LockService.Leases;

/// <summary>The answer to one applied command. The grain maps <see cref="Rejected"/> to client exceptions.</summary>
public abstract record LeaseResult;

/// <summary>The lock is held; <paramref name="Token"/> is the (term, index) of the granting entry.</summary>
public sealed record Granted(FencingToken Token) : LeaseResult;

/// <summary>Waiting in the FIFO queue; <paramref name="Position"/> 1 is next.</summary>
public sealed record Queued(int Position) : LeaseResult;

/// <summary>Not granted: the lock was busy and the request did not wait, or its wait ended (deadline or cancel).</summary>
public sealed record Busy : LeaseResult
{
    public static readonly Busy Instance = new();
}

/// <summary>Done: a release, a cancel or a close that took effect.</summary>
public sealed record Done : LeaseResult
{
    public static readonly Done Instance = new();
}

/// <summary>
/// The session this client request opened. A retried OpenSession may carry a different proposed id; the answer
/// always names the session that exists.
/// </summary>
public sealed record SessionOpened(SessionId Session) : LeaseResult;

/// <summary>A tick was applied: the lease clock now reads <paramref name="ClockMs"/>.</summary>
public sealed record Ticked(long ClockMs, int ExpiredSessions, int ExpiredWaits) : LeaseResult;

/// <summary>Refused, with nothing changed but the remembered answer. <paramref name="Message"/> says what to do.</summary>
public sealed record Rejected(RejectionCode Code, LeaseLimit Limit, string Message) : LeaseResult
{
    public Rejected(RejectionCode code, string message)
        : this(code, LeaseLimit.None, message)
    {
    }
}
