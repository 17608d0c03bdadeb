using LockService.Leases;
using LockService.Protocol;

namespace LockService.Hosting;

/// <summary>How the state machine's answers read on the wire (shared by the replica grain and its simulated twin).</summary>
internal static class LeaseReplies
{
    public static AcquireReply ToAcquireReply(LeaseResult result, bool waited, int position) => result switch
    {
        Granted granted => new AcquireReply(ReplyStatus.Granted, granted.Token, 0),
        Busy => new AcquireReply(waited ? ReplyStatus.TimedOut : ReplyStatus.Busy, default, 0),
        Queued queued => new AcquireReply(ReplyStatus.Queued, default, queued.Position),
        Rejected rejected => new AcquireReply(ToStatus(rejected.Code), default, position, Message: rejected.Message),
        _ => new AcquireReply(ReplyStatus.InvalidArgument, default, 0, Message: $"Unexpected answer {result}."),
    };

    public static ReplyStatus ToStatus(RejectionCode code) => code switch
    {
        RejectionCode.InvalidName => ReplyStatus.InvalidName,
        RejectionCode.InvalidTtl => ReplyStatus.InvalidTtl,
        RejectionCode.UnknownSession => ReplyStatus.UnknownSession,
        RejectionCode.NotHolder => ReplyStatus.NotHolder,
        RejectionCode.StaleToken => ReplyStatus.StaleToken,
        RejectionCode.LimitExceeded => ReplyStatus.LimitExceeded,
        RejectionCode.KindMismatch => ReplyStatus.KindMismatch,
        _ => ReplyStatus.InvalidArgument,
    };
}
