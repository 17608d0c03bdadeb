using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>The fields every reply record shares, read uniformly (the wire records have no common base).</summary>
internal static class ReplyInfo
{
    public static (ReplyStatus Status, string? Message) Of(object reply) => reply switch
    {
        SessionReply r => (r.Status, r.Message),
        AcquireReply r => (r.Status, r.Message),
        ReleaseReply r => (r.Status, r.Message),
        DescribeReply r => (r.Status, r.Message),
        IsCurrentReply r => (r.Status, r.Message),
        _ => throw new ArgumentException($"Unknown reply type {reply.GetType()}.", nameof(reply)),
    };

    /// <summary>
    /// The service refused a request because it keeps too many answers of this client identity (its limit of
    /// unacknowledged requests, whose message names AnsweredBelow), as opposed to a limit on locks or sessions.
    /// </summary>
    public static bool IsPendingRequestLimit(ReplyStatus status, string? message) =>
        status == ReplyStatus.LimitExceeded && message?.Contains("AnsweredBelow", StringComparison.Ordinal) == true;

    /// <summary>Answers worth retrying with backoff: no leader yet, or a leader asking to slow down.</summary>
    public static bool IsTransient(ReplyStatus status) =>
        status is ReplyStatus.Unavailable or ReplyStatus.Overloaded or ReplyStatus.NotLeader;
}
