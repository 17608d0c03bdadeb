namespace LockService.Protocol;

/// <summary>Outcome of a client request to a replica. The SDK maps each failure to a typed exception.</summary>
public enum ReplyStatus : byte
{
    Ok = 0,

    /// <summary>Acquire: the lock is held by the requester; the reply carries its token.</summary>
    Granted = 1,

    /// <summary>Acquire: waiting in the lock's FIFO queue; re-issue the same request to keep waiting.</summary>
    Queued = 2,

    /// <summary>Acquire without wait: someone else holds the lock.</summary>
    Busy = 3,

    /// <summary>Acquire: the wait deadline passed before the lock was granted; the wait was withdrawn.</summary>
    TimedOut = 4,

    /// <summary>This replica is not the leader; <c>LeaderHint</c> names the replica to try, when known.</summary>
    NotLeader = 10,

    /// <summary>No leader could serve the request in time (election in progress, majority unreachable).</summary>
    Unavailable = 11,

    /// <summary>The leader refuses new work until its backlog drains.</summary>
    Overloaded = 12,

    InvalidName = 20,
    InvalidTtl = 21,
    InvalidArgument = 22,
    UnknownSession = 23,
    SessionExpired = 24,
    NotHolder = 25,
    StaleToken = 26,
    LimitExceeded = 27,

    /// <summary>The name is in use as a lock and was asked for as a semaphore, or the other way round, or as a
    /// semaphore of another permit count.</summary>
    KindMismatch = 28,
}
