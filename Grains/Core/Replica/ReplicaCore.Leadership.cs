using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// Taking up and giving up leadership, handing it over (to a caught-up replica only, so clients see no election
/// stall), and moving this replica to the silo it belongs on.
/// </summary>
public sealed partial class ReplicaCore
{
    /// <summary>
    /// The host's answer to <see cref="ReplicaOutbox.CheckPlacement"/>. A follower moves after
    /// <see cref="ReplicaCoreOptions.MisplacedChecksBeforeMove"/> misplaced checks in a row and a leader after twice as
    /// many, so misplaced followers move first; the leader then hands leadership over rather than moving itself.
    /// </summary>
    public void PlacementChecked(bool misplaced, TimeSpan now)
    {
        if (IsStopped)
        {
            return;
        }

        if (!misplaced)
        {
            _misplacedChecks = 0;
            return;
        }

        var needed = IsLeader ? 2 * _options.MisplacedChecksBeforeMove : _options.MisplacedChecksBeforeMove;
        if (++_misplacedChecks < needed)
        {
            return;
        }

        _misplacedChecks = 0;
        if (IsLeader)
        {
            HandOver("misplaced", now);
            return;
        }

        Outbox.Event(ReplicaEvent.Moving.Instance);
        Outbox.Move = true;
    }

    /// <summary>Starts a leadership transfer to a caught-up replica, if there is one (else it tries again at the next occasion).</summary>
    public void HandOver(string reason, TimeSpan now)
    {
        if (!IsLeader)
        {
            return;
        }

        var target = CaughtUpReplica();
        Outbox.Event(new ReplicaEvent.HandingOver(target, reason));
        if (target is { } id)
        {
            _raft.TransferLeadership(id);
            Pump(now);
        }
    }

    /// <summary>
    /// The follower with the longest log among those holding every committed entry (ties: the lowest id), or null
    /// when none does. Never blindly "the first other replica": a target that is down or far behind would stall the
    /// group for the transfer's whole timeout. Why not "match = last index" exactly: a busy leader proposes a clock
    /// entry every tick, so at the moment it decides, its latest entry is almost always still in flight to every
    /// follower; the Raft core catches the target up on those few entries before it tells it to campaign.
    /// </summary>
    private int? CaughtUpReplica()
    {
        int? best = null;
        var bestMatch = _raft.CommitIndex - 1;
        foreach (var id in _raft.Config.Voters)
        {
            var match = _raft.MatchIndexOf(id);
            if (id != _raft.Id && match > bestMatch)
            {
                best = id;
                bestMatch = match;
            }
        }

        return best;
    }

    private void OnBecameLeader(SoftState softState, TimeSpan now)
    {
        if (_clock.IsLeader)
        {
            // Leader again in a newer term without a Ready in between: what waited on the old term cannot be answered.
            FailPending(ReplyCode.NotLeader);
        }

        _clock.BecomeLeader(now);
        _leaderCaughtUpIndex = _raft.LastIndex; // this term's no-op: applied, it brings every earlier commit
        _ticksSinceClockEntry = int.MaxValue / 2; // write the clock at once
        Outbox.Event(new ReplicaEvent.BecameLeader(softState.Term));
        _probe?.OnBecameLeader(softState.Term);
    }

    private void OnLostLeadership(SoftState softState)
    {
        if (_clock.IsLeader)
        {
            _clock.StepDown();
            Outbox.Event(new ReplicaEvent.LostLeadership(softState.Term, softState.LeaderId));
        }

        _leaderCaughtUpIndex = long.MaxValue;
        FailPending(ReplyCode.NotLeader);
    }
}
