using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>
/// The Orleans-specific half of the SDK: delivers one protocol call to the leader of a lock group. It owns the
/// topology cache, the leader cache per group, NotLeader redirects and failing over to other replicas when a call
/// is rejected or unanswered. Everything above it (sessions, keepalives, lease timing, waiting, retries with
/// backoff, exactly-once request ids) is plain logic tested against an in-memory fake of this interface.
/// </summary>
/// <remarks>
/// Contract: a call either returns the leader's reply or, when no replica of the group answered as leader in one
/// sweep, a reply with <see cref="ReplyStatus.Unavailable"/> (or the last <see cref="ReplyStatus.NotLeader"/>). It
/// never throws for transient failures; it throws <see cref="OperationCanceledException"/> when
/// <c>cancellationToken</c> is cancelled. Retrying a call with the same request id is always safe.
/// </remarks>
internal interface ILockServiceTransport
{
    /// <summary>The group serving a lock name, from the cluster topology (fetched once, then cached).</summary>
    /// <exception cref="TransientTransportException">The topology could not be read; retry.</exception>
    ValueTask<int> GetGroupAsync(string name, CancellationToken cancellationToken);

    Task<SessionReply> OpenSessionAsync(int group, OpenSessionRequest request, CancellationToken cancellationToken);

    Task<SessionReply> KeepAliveAsync(int group, KeepAliveRequest request, CancellationToken cancellationToken);

    Task<SessionReply> CloseSessionAsync(int group, CloseSessionRequest request, CancellationToken cancellationToken);

    /// <summary>An acquire; with a wait it may stay open for <see cref="AcquireRequest.PollMs"/> on the leader.</summary>
    Task<AcquireReply> AcquireAsync(int group, AcquireRequest request, CancellationToken cancellationToken);

    Task<ReleaseReply> ReleaseAsync(int group, ReleaseRequest request, CancellationToken cancellationToken);

    Task<ReleaseReply> CancelWaitAsync(int group, CancelWaitRequest request, CancellationToken cancellationToken);

    Task<DescribeReply> DescribeAsync(int group, string name, CancellationToken cancellationToken);

    Task<IsCurrentReply> IsCurrentAsync(int group, string name, FencingToken token, CancellationToken cancellationToken);
}

/// <summary>A transient failure below the protocol (for example the topology could not be read); retry.</summary>
internal sealed class TransientTransportException(string message, Exception? innerException = null)
    : Exception(message, innerException);
