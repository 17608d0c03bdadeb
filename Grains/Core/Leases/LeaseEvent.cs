namespace LockService.Leases;

/// <summary>
/// Something an apply step did besides answering its own command, for the host to notify clients: a waiter was
/// granted or dropped, a session ended. Only the leader's host needs to act on them.
/// </summary>
public abstract record LeaseEvent;

/// <summary>
/// The waiting request <paramref name="Request"/> left the queue: <see cref="Granted"/>, <see cref="Busy"/> (its
/// deadline passed or it was cancelled), or <see cref="Rejected"/> with UnknownSession (its session ended).
/// </summary>
public sealed record WaitResolved(SessionId Session, RequestId Request, string Lock, LeaseResult Answer) : LeaseEvent;

/// <summary>A session ended: its locks were released and its waits withdrawn.</summary>
public sealed record SessionEnded(SessionId Session, ClientId Client, bool Expired) : LeaseEvent;
