using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// What a committed log entry asks the lease state machine to do. Every time value in a command is a lease-clock
/// value in milliseconds written by the leader (see <see cref="LeaseClock"/>), never a wall-clock timestamp.
/// </summary>
public abstract record LeaseCommand;

/// <summary>
/// The leader's periodic entry: advances the lease clock to <paramref name="ClockMs"/> (never backwards), renews
/// the sessions whose keepalives the leader saw since its previous tick, then expires every session, wait and
/// lock-delay whose deadline has been reached. Renewals come first, so a keepalive that arrived in time wins.
/// </summary>
public sealed record Tick(long ClockMs, IReadOnlyList<SessionId> Renewals) : LeaseCommand
{
    public bool Equals(Tick? other) =>
        other is not null && ClockMs == other.ClockMs && Renewals.SequenceEqual(other.Renewals);

    public override int GetHashCode() => HashCode.Combine(ClockMs, Renewals.Count);
}

/// <summary>
/// A command sent on behalf of a client. <paramref name="AnsweredBelow"/>: the client has received the answers of
/// all its requests with a lower sequence number, so the state machine may forget them (§6.3). A waiting
/// <see cref="Acquire"/> below it is answered from its wait (granted, queued, or ended), never applied again.
/// </summary>
public abstract record ClientCommand(RequestId Request, ulong AnsweredBelow) : LeaseCommand;

/// <summary>
/// Opens <paramref name="Session"/> (an id the proposer drew at random; a retried proposal must draw a new one)
/// with a time to live. <paramref name="ClockMs"/> is the proposer's lease clock, so the session's first renewal
/// point is not older than the client's request.
/// </summary>
public sealed record OpenSession(RequestId Request, ulong AnsweredBelow, SessionId Session, long TtlMs, long ClockMs)
    : ClientCommand(Request, AnsweredBelow);

/// <summary>Ends a session cleanly: releases its locks (without lock-delay) and withdraws its waits.</summary>
public sealed record CloseSession(RequestId Request, ulong AnsweredBelow, SessionId Session)
    : ClientCommand(Request, AnsweredBelow);

/// <summary>
/// Asks for <paramref name="Lock"/> in <paramref name="Mode"/>. <paramref name="WaitUntilMs"/>: a lease-clock
/// deadline up to which the request may wait in the FIFO queue, or <see cref="NoWait"/>.
/// <paramref name="LockDelayMs"/>: if this holder's session expires while holding the lock, nobody gets the lock
/// for that long (0 = no delay). <paramref name="MaxCount"/>: 0 for a lock; N ≥ 1 asks for one permit of the
/// semaphore <paramref name="Lock"/> of N permits (then <paramref name="Mode"/> is <see cref="LockMode.Shared"/> and
/// there is no lock-delay). One name is either a lock or a semaphore, with one N, while it has holders or waiters.
/// </summary>
public sealed record Acquire(
    RequestId Request,
    ulong AnsweredBelow,
    SessionId Session,
    string Lock,
    LockMode Mode,
    long WaitUntilMs = Acquire.NoWait,
    long LockDelayMs = 0,
    int MaxCount = 0) : ClientCommand(Request, AnsweredBelow)
{
    /// <summary>Do not queue: answer Busy if the lock cannot be granted now.</summary>
    public const long NoWait = 0;
}

/// <summary>Releases a held lock; <paramref name="Token"/> must be the token of this session's grant.</summary>
public sealed record Release(RequestId Request, ulong AnsweredBelow, SessionId Session, string Lock, FencingToken Token)
    : ClientCommand(Request, AnsweredBelow);

/// <summary>Withdraws the waiting request number <paramref name="AcquireSequence"/> of this client from the queue.</summary>
public sealed record CancelWait(RequestId Request, ulong AnsweredBelow, SessionId Session, string Lock, ulong AcquireSequence)
    : ClientCommand(Request, AnsweredBelow);

/// <summary>
/// An operator's release of a lock whoever holds it: every holder whose token is at most <paramref name="UpTo"/> lets
/// go (no lock-delay), and waiters are promoted in FIFO order as on any release, so the next grant carries a higher
/// token than any released one. Bounded by a token rather than "whoever holds it now", so a retried command can never
/// release a grant made after the operator looked. The holders' sessions live on; a released holder learns of it when
/// it next uses its token (a release answers NotHolder, resources reject its older token).
/// </summary>
public sealed record ForceRelease(string Lock, FencingToken UpTo) : LeaseCommand;
