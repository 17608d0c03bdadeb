using LockService.Client;
using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// Operators' actions on the leader: a forced release (committed through the log, so the next grant gets a higher
/// token) and a leadership transfer (to a named replica only if it holds every committed entry, else to a caught-up
/// one). Authorization is the host's: the core only checks the arguments against its state.
/// </summary>
public sealed partial class ReplicaCore
{
    private void Administer(PendingRequest pending, TimeSpan now)
    {
        switch (pending.Request)
        {
            case ReplicaRequest.ForceRelease force:
                ForceRelease(pending, force, now);
                break;
            case ReplicaRequest.TransferLeadership transfer:
                Answer(pending, TransferLeadership(transfer.Target));
                break;
        }
    }

    private void ForceRelease(PendingRequest pending, ReplicaRequest.ForceRelease force, TimeSpan now)
    {
        if (LockNameRules.Check(force.Name ?? "", _leases.Limits.MaxLockNameBytes) is { } problem)
        {
            Answer(pending, new ReplicaReply.Admin(ReplyCode.InvalidName, Message: problem));
            return;
        }

        var upTo = force.UpTo;
        if (upTo is null)
        {
            // "Whoever holds it now" is read here, then fixed as a token in the command: a retry cannot free a later grant.
            if (_appliedIndex < _leaderCaughtUpIndex)
            {
                Answer(pending, new ReplicaReply.Admin(ReplyCode.Unavailable, LeaderHint: LeaderHint(), Message: "The new leader is still applying its log; retry."));
                return;
            }

            if (_leases.Describe(force.Name!) is not { Holders.Count: > 0 } held)
            {
                Answer(pending, new ReplicaReply.Admin(ReplyCode.NotHolder, Message: $"Nobody holds '{force.Name}'."));
                return;
            }

            upTo = held.Holders.Max(h => h.Token);
        }

        pending.ForcedUpTo = upTo.Value;
        Propose(pending, new ForceRelease(force.Name!, upTo.Value), now);
    }

    private void OnForceReleaseOutcome(PendingRequest pending, ReplicaRequest.ForceRelease force, ReplyCode code, LeaseResult? result) =>
        Answer(pending, result switch
        {
            Done => new ReplicaReply.Admin(ReplyCode.Ok, pending.ForcedUpTo, Message: $"Released the holders of '{force.Name}' up to token {pending.ForcedUpTo}."),
            Rejected rejected => new ReplicaReply.Admin(LeaseAnswers.ToCode(rejected.Code), Message: rejected.Message),
            _ => new ReplicaReply.Admin(code, LeaderHint: LeaderHint(), Message: Unanswered(code)),
        });

    private ReplicaReply.Admin TransferLeadership(int? target)
    {
        if (target is { } named)
        {
            if (!_raft.Config.Voters.Contains(named))
            {
                return new ReplicaReply.Admin(ReplyCode.InvalidArgument, Message: $"Replica {named} is not in this group (replicas {string.Join(", ", _raft.Config.Voters)}).");
            }

            if (named == _raft.Id)
            {
                return new ReplicaReply.Admin(ReplyCode.Ok, Target: named, LeaderHint: named, Message: $"Replica {named} already leads.");
            }

            if (_raft.MatchIndexOf(named) < _raft.CommitIndex)
            {
                return new ReplicaReply.Admin(
                    ReplyCode.Unavailable,
                    LeaderHint: _raft.Id,
                    Message: $"Replica {named} is not caught up (it holds up to {_raft.MatchIndexOf(named)}, committed is {_raft.CommitIndex}): a transfer to it would stall the group; retry, or name another.");
            }
        }

        var chosen = target ?? CaughtUpReplica();
        if (chosen is not { } to)
        {
            return new ReplicaReply.Admin(ReplyCode.Unavailable, LeaderHint: _raft.Id, Message: "No other replica holds every committed entry yet; retry.");
        }

        Outbox.Event(new ReplicaEvent.HandingOver(to, "operator"));
        _raft.TransferLeadership(to); // the request's Pump sends what it starts
        return new ReplicaReply.Admin(ReplyCode.Ok, Target: to, LeaderHint: to, Message: $"Leadership is being handed to replica {to}.");
    }
}
