using LockService.Leases;

namespace LockService.Replica;

/// <summary>How the state machine's answers read as replies (one mapping for every host).</summary>
public static class LeaseAnswers
{
    public static ReplicaReply.Acquire ToAcquireReply(LeaseResult result, bool waited, int position) => result switch
    {
        Granted granted => new(ReplyCode.Granted, granted.Token, 0),
        Busy => new(waited ? ReplyCode.TimedOut : ReplyCode.Busy, default, 0),
        Queued queued => new(ReplyCode.Queued, default, queued.Position),
        Rejected rejected => new(ToCode(rejected.Code), default, position, Message: rejected.Message),
        _ => new(ReplyCode.InvalidArgument, default, 0, Message: $"Unexpected answer {result}."),
    };

    public static ReplyCode ToCode(RejectionCode code) => code switch
    {
        RejectionCode.InvalidName => ReplyCode.InvalidName,
        RejectionCode.InvalidTtl => ReplyCode.InvalidTtl,
        RejectionCode.UnknownSession => ReplyCode.UnknownSession,
        RejectionCode.NotHolder => ReplyCode.NotHolder,
        RejectionCode.StaleToken => ReplyCode.StaleToken,
        RejectionCode.LimitExceeded => ReplyCode.LimitExceeded,
        RejectionCode.KindMismatch => ReplyCode.KindMismatch,
        _ => ReplyCode.InvalidArgument,
    };
}
