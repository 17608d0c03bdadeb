using LockService.Client;

namespace LockService.Leases;

/// <summary>Where a <see cref="LockEntry"/> stands.</summary>
internal enum EntryState : byte
{
    Waiting,
    Holding,
    Gone,
}

/// <summary>
/// One session's claim on one lock: a waiter in the lock's FIFO queue, then (once granted) one of its holders.
/// It sits in two intrusive lists at once: the lock's holders or waiters, and its session's entries.
/// </summary>
internal sealed class LockEntry(LockState @lock, SessionState session, ulong sequence, LockMode mode, long lockDelayMs)
{
    public LockState Lock { get; } = @lock;

    public SessionState Session { get; } = session;

    /// <summary>The Acquire's sequence number; the client is the session's.</summary>
    public ulong Sequence { get; } = sequence;

    public LockMode Mode { get; } = mode;

    public long LockDelayMs { get; } = lockDelayMs;

    public EntryState State { get; set; } = EntryState.Waiting;

    /// <summary>Lease-clock deadline of the wait, or <see cref="Acquire.NoWait"/>.</summary>
    public long WaitUntilMs { get; set; }

    public FencingToken Token { get; set; }

    public RequestId Request => new(Session.Client.Id, Sequence);

    public LockEntry? Prev;
    public LockEntry? Next;
    public LockEntry? SessionPrev;
    public LockEntry? SessionNext;
}
