using LockService.Client;
using LockService.Protocol;
using LockService.Replica;

namespace LockService.Hosting;

/// <summary>
/// Wire requests to the replica core's requests, and its replies back to wire replies: the one mapping, used by the
/// replica grain and by the simulator's transport.
/// </summary>
internal static class ReplicaWire
{
    public static ReplicaRequest ToCore(OpenSessionRequest r) =>
        new ReplicaRequest.OpenSession(LeaseIds.ToRequestId(r.Request), LeaseIds.Unsigned(r.AnsweredBelow), r.TtlMs);

    public static ReplicaRequest ToCore(KeepAliveRequest r) =>
        new ReplicaRequest.KeepAlive(LeaseIds.ToSessionId(r.SessionId), ClientKeys.IdOf(r.ClientKey));

    public static ReplicaRequest ToCore(CloseSessionRequest r) =>
        new ReplicaRequest.CloseSession(LeaseIds.ToRequestId(r.Request), LeaseIds.Unsigned(r.AnsweredBelow), LeaseIds.ToSessionId(r.SessionId));

    public static ReplicaRequest ToCore(AcquireRequest r) =>
        new ReplicaRequest.Acquire(
            LeaseIds.ToRequestId(r.Request), LeaseIds.Unsigned(r.AnsweredBelow), LeaseIds.ToSessionId(r.SessionId), r.Name, r.Mode, r.WaitMs, r.PollMs, r.MaxCount);

    public static ReplicaRequest ToCore(ReleaseRequest r) =>
        new ReplicaRequest.Release(LeaseIds.ToRequestId(r.Request), LeaseIds.Unsigned(r.AnsweredBelow), LeaseIds.ToSessionId(r.SessionId), r.Name, r.Token);

    public static ReplicaRequest ToCore(CancelWaitRequest r) =>
        new ReplicaRequest.CancelWait(
            LeaseIds.ToRequestId(r.Request), LeaseIds.Unsigned(r.AnsweredBelow), LeaseIds.ToSessionId(r.SessionId), r.Name, LeaseIds.Unsigned(r.AcquireRequest.Sequence));

    public static ReplyStatus ToWire(ReplyCode code) => (ReplyStatus)(byte)code;

    public static SessionReply ToSessionReply(ReplicaReply reply)
    {
        var r = (ReplicaReply.Session)reply;
        return new SessionReply(ToWire(r.Code), LeaseIds.ToGuid(r.Id), r.TtlMs, r.LeaderHint, r.Message);
    }

    public static AcquireReply ToAcquireReply(ReplicaReply reply)
    {
        var r = (ReplicaReply.Acquire)reply;
        return new AcquireReply(ToWire(r.Code), r.Token, r.QueuePosition, r.LeaderHint, r.Message);
    }

    public static ReleaseReply ToReleaseReply(ReplicaReply reply) => new(ToWire(reply.Code), reply.LeaderHint, reply.Message);

    public static IsCurrentReply ToIsCurrentReply(ReplicaReply reply) =>
        new(ToWire(reply.Code), ((ReplicaReply.IsCurrent)reply).Current, reply.LeaderHint, reply.Message);

    public static DescribeReply ToDescribeReply(ReplicaReply reply)
    {
        var r = (ReplicaReply.Describe)reply;
        if (r.Lock is not { } description)
        {
            return new DescribeReply(ToWire(r.Code), r.Name, [], [], r.LeaderHint, r.Message);
        }

        var holders = description.Holders
            .Select(h => new LockHolderInfo(LeaseIds.ToGuid(h.Session), h.Mode, h.Token, h.SessionRemainingMs))
            .ToArray();
        var waiters = description.Waiters
            .Select(w => new LockWaiterInfo(LeaseIds.ToGuid(w.Session), w.Mode, LeaseIds.ToWire(w.Request)))
            .ToArray();
        return new DescribeReply(ToWire(r.Code), r.Name, holders, waiters, r.LeaderHint, r.Message, description.MaxCount);
    }

    public static ListReply ToListReply(ReplicaReply reply)
    {
        var r = (ReplicaReply.List)reply;
        return r.Page is not { } page
            ? new ListReply(ToWire(r.Code), [], null, r.LeaderHint, r.Message)
            : new ListReply(
                ToWire(r.Code),
                page.Locks.Select(l => new LockSummaryInfo(l.Name, l.Holders, l.Waiters, l.Mode, l.NewestToken, l.MaxCount)).ToArray(),
                page.Continuation,
                r.LeaderHint,
                r.Message);
    }
}
