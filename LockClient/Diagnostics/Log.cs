using LockService.Protocol;
using Microsoft.Extensions.Logging;

namespace LockService.Client.Diagnostics;

/// <summary>The SDK's log messages, with structured fields (source-generated, no allocation when disabled).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Opened session {SessionId} in lock group {Group} with TTL {TtlMs} ms")]
    public static partial void SessionOpened(ILogger logger, Guid sessionId, int group, long ttlMs);

    [LoggerMessage(2, LogLevel.Warning, "Session {SessionId} of lock group {Group} lost ({Reason}); {HandleCount} lock(s) fired LostToken")]
    public static partial void SessionLost(ILogger logger, Guid sessionId, int group, LostReason reason, int handleCount);

    [LoggerMessage(20, LogLevel.Debug, "Session {SessionId} of lock group {Group} closed ({Reason})")]
    public static partial void SessionClosed(ILogger logger, Guid sessionId, int group, LostReason reason);

    [LoggerMessage(3, LogLevel.Debug, "Keepalive of session {SessionId} failed with {Status}; retrying in {DelayMs} ms")]
    public static partial void KeepAliveRetry(ILogger logger, Guid sessionId, ReplyStatus status, long delayMs);

    [LoggerMessage(4, LogLevel.Debug, "{Operation} on lock group {Group} answered {Status}; retry {Attempt} in {DelayMs} ms")]
    public static partial void Retrying(ILogger logger, string operation, int group, ReplyStatus status, int attempt, long delayMs);

    [LoggerMessage(5, LogLevel.Warning, "{Operation} on lock group {Group} gave up after {ElapsedMs} ms of {Status} answers")]
    public static partial void GaveUp(ILogger logger, string operation, int group, ReplyStatus status, long elapsedMs);

    [LoggerMessage(6, LogLevel.Debug, "Acquired lock {LockName} ({Mode}) with token {Token} in {ElapsedMs} ms")]
    public static partial void Acquired(ILogger logger, string lockName, LockMode mode, FencingToken token, long elapsedMs);

    [LoggerMessage(7, LogLevel.Debug, "Released lock {LockName} with token {Token}")]
    public static partial void Released(ILogger logger, string lockName, FencingToken token);

    [LoggerMessage(8, LogLevel.Warning, "Lock {LockName} with token {Token} lost ({Reason})")]
    public static partial void LockLost(ILogger logger, string lockName, FencingToken token, LostReason reason);

    [LoggerMessage(9, LogLevel.Warning, "Release of lock {LockName} (token {Token}) could not reach the service; retrying in the background")]
    public static partial void ReleaseDeferred(ILogger logger, Exception exception, string lockName, FencingToken token);

    [LoggerMessage(10, LogLevel.Debug, "Withdrew the wait for lock {LockName} (request {Sequence})")]
    public static partial void WaitWithdrawn(ILogger logger, string lockName, long sequence);

    [LoggerMessage(11, LogLevel.Warning, "Background cleanup {Operation} for lock group {Group} failed")]
    public static partial void CleanupFailed(ILogger logger, Exception exception, string operation, int group);

    [LoggerMessage(21, LogLevel.Warning, "Lock {LockName} with token {Token} was abandoned (its handle was collected without being disposed); releasing it")]
    public static partial void LockAbandoned(ILogger logger, string lockName, FencingToken token);

    [LoggerMessage(22, LogLevel.Warning, "A LostToken callback of abandoned lock {LockName} (token {Token}) threw")]
    public static partial void AbandonedCallbackFailed(ILogger logger, Exception exception, string lockName, FencingToken token);

    [LoggerMessage(14, LogLevel.Warning, "Lock group {Group} refused this client's identity for too many unacknowledged answers; using a fresh identity and new sessions")]
    public static partial void IdentityReset(ILogger logger, int group);

    [LoggerMessage(15, LogLevel.Debug, "Resolved abandoned acquire {Sequence} of lock {LockName}: {Outcome}")]
    public static partial void OrphanResolved(ILogger logger, string lockName, long sequence, string outcome);

    [LoggerMessage(16, LogLevel.Debug, "Replica {SilentKey} silent; probed replica {ProbedKey}: {Status}, leader hint {LeaderHint}")]
    public static partial void Probed(ILogger logger, string silentKey, string probedKey, ReplyStatus status, int leaderHint);

    [LoggerMessage(17, LogLevel.Debug, "Replica {ProbedKey} names the silent replica {SilentKey} as leader; asking it to forward the request")]
    public static partial void AskedToForward(ILogger logger, string probedKey, string silentKey);

    [LoggerMessage(18, LogLevel.Information, "Calls to replica {SilentKey} went unanswered ({Evidence}); sending every call through other gateways for {Seconds} s")]
    public static partial void DirectPathSuspect(ILogger logger, string silentKey, string evidence, double seconds);

    [LoggerMessage(12, LogLevel.Debug, "Replica {ReplicaKey} failed a call ({ExceptionType}); trying another replica")]
    public static partial void ReplicaFailed(ILogger logger, string replicaKey, string exceptionType);

    [LoggerMessage(13, LogLevel.Warning, "Replica {ReplicaKey} failed a call unexpectedly; trying another replica")]
    public static partial void ReplicaFailedUnexpectedly(ILogger logger, Exception exception, string replicaKey);
}
