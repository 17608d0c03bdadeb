namespace LockService.Replica;

/// <summary>
/// Forwarding to the leader: a client that cannot reach the leader the followers name asks a follower to pass its
/// request on (an Orleans client sends every call to one grain through one gateway, so a paused gateway silo cuts
/// it off from a healthy leader, while the follower reaches that leader silo to silo). The decision is the core's:
/// where it would answer NotLeader and knows a leader other than itself, it hands the host a
/// <see cref="ForwardRequest"/> instead. Forwarding decides nothing else: the leader validates and deduplicates the
/// request (same request id) as if the client had sent it directly, and its reply, NotLeader included, goes back as it is.
/// </summary>
public sealed partial class ReplicaCore
{
    /// <summary>A client request that may be forwarded to the leader (<paramref name="forwardToLeader"/>) instead of answered NotLeader.</summary>
    public void Request(long ticket, ReplicaRequest request, TimeSpan now, bool forwardToLeader) =>
        Request(new PendingRequest(ticket, request) { ForwardToLeader = forwardToLeader }, now);

    /// <summary>For a request that asked to be forwarded: the leader to pass it on to instead of this answer, or -1 to answer here.</summary>
    private int ForwardTarget(ReplicaReply reply) =>
        reply.Code == ReplyCode.NotLeader && reply.LeaderHint >= 0 && reply.LeaderHint != _raft.Id && !IsStopped
            ? reply.LeaderHint
            : -1;
}
