namespace LockService.Replica;

/// <summary>
/// How a replica answers a request. The same names and values as the wire's <c>ReplyStatus</c> (which carries
/// Orleans attributes and so cannot live here); a test asserts they stay equal.
/// </summary>
public enum ReplyCode : byte
{
    Ok = 0,
    Granted = 1,
    Queued = 2,
    Busy = 3,
    TimedOut = 4,
    NotLeader = 10,
    Unavailable = 11,
    Overloaded = 12,
    InvalidName = 20,
    InvalidTtl = 21,
    InvalidArgument = 22,
    UnknownSession = 23,
    SessionExpired = 24,
    NotHolder = 25,
    StaleToken = 26,
    LimitExceeded = 27,
    KindMismatch = 28,
}
