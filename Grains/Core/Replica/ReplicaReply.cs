using LockService.Client;
using LockService.Leases;

namespace LockService.Replica;

/// <summary>The replica core's answer to one request (the host maps it to the wire record of the request's kind).</summary>
public abstract record ReplicaReply(ReplyCode Code, int LeaderHint, string? Message)
{
    public sealed record Session(ReplyCode Code, SessionId Id, long TtlMs, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);

    public sealed record Acquire(ReplyCode Code, FencingToken Token, int QueuePosition, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);

    public sealed record Release(ReplyCode Code, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);

    public sealed record Describe(ReplyCode Code, string Name, LockDescription? Lock, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);

    public sealed record IsCurrent(ReplyCode Code, bool Current, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);

    public sealed record List(ReplyCode Code, LockPage? Page, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);

    /// <summary>An operator's action: <paramref name="Token"/> the newest token a forced release let go; <paramref name="Target"/> the replica a transfer goes to.</summary>
    public sealed record Admin(ReplyCode Code, FencingToken Token = default, int Target = -1, int LeaderHint = -1, string? Message = null)
        : ReplicaReply(Code, LeaderHint, Message);
}
