namespace LockService.Leases;

/// <summary>Why a command was refused. A refused command changes no session, lock or waiter.</summary>
public enum RejectionCode : byte
{
    /// <summary>Lock name empty, longer than the limit in UTF-8 bytes, with a control character or a lone surrogate.</summary>
    InvalidName = 1,

    /// <summary>Session time to live outside the configured range.</summary>
    InvalidTtl = 2,

    /// <summary>Another argument out of range (mode, lock-delay, session id).</summary>
    InvalidArgument = 3,

    /// <summary>No such session for this client: it expired, was closed, or never existed.</summary>
    UnknownSession = 4,

    /// <summary>The proposed session id is already in use.</summary>
    SessionExists = 5,

    /// <summary>The session does not hold the lock with this token.</summary>
    NotHolder = 6,

    /// <summary>The token is older than the lock's current grant to this session or to its current holders.</summary>
    StaleToken = 7,

    /// <summary>The session already holds the lock.</summary>
    AlreadyHolder = 8,

    /// <summary>The session already waits for the lock.</summary>
    AlreadyWaiting = 9,

    /// <summary>The request to cancel is not waiting (it timed out, was cancelled, or its session ended).</summary>
    NotWaiting = 10,

    /// <summary>A configured limit would be exceeded; <see cref="Rejected.Limit"/> says which.</summary>
    LimitExceeded = 11,

    /// <summary>A stale copy of a request whose answer the client has already acknowledged.</summary>
    AlreadyAnswered = 12,

    /// <summary>The name is in use as the other kind (a lock, or a semaphore), or as a semaphore of another permit count.</summary>
    KindMismatch = 13,
}
