using LockService.Client;
using LockService.Leases;
using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// Client requests: a command is proposed with its request id and answered when the entry at its index applies
/// with the term it was proposed in; any other outcome (leadership lost, entry overwritten, deadline) answers
/// NotLeader or Unavailable, and the client's retry with the same request id is applied at most once. Reads wait
/// behind a ReadIndex barrier; keepalives wait for the clock tick entry that lists them.
/// </summary>
public sealed partial class ReplicaCore
{
    private const int MaxListPage = 1000;

    /// <summary>
    /// A client request; its answer comes out as <see cref="ReplicaOutbox.Replies"/> with <paramref name="ticket"/>, exactly
    /// once (or, for a request that asked for it, as <see cref="ReplicaOutbox.Forwards"/>: see ReplicaCore.Forwarding.cs).
    /// </summary>
    public void Request(long ticket, ReplicaRequest request, TimeSpan now) => Request(new PendingRequest(ticket, request), now);

    private void Request(PendingRequest pending, TimeSpan now)
    {
        var request = pending.Request;
        if (Validate(request) is { } invalid)
        {
            Answer(pending, Refused(request, invalid));
            return;
        }

        if (!CanServe(out var refusal))
        {
            Answer(pending, Refused(request, refusal));
            return;
        }

        if (Admit(request, now) is { } overloaded)
        {
            Answer(pending, Refused(request, overloaded));
            return;
        }

        _open[pending.Ticket] = pending;
        switch (request)
        {
            case ReplicaRequest.OpenSession open:
                // A fresh id for every proposal, retries included: the state machine answers a retry with the session
                // it opened the first time, so the id of a proposal that lost the race is never used.
                Propose(pending, new OpenSession(open.Request, open.AnsweredBelow, _newSessionId(), open.TtlMs, _clock.NextClockMs(now)), now);
                break;
            case ReplicaRequest.KeepAlive keepAlive:
                KeepAlive(pending, keepAlive, now);
                break;
            case ReplicaRequest.CloseSession close:
                Propose(pending, new CloseSession(close.Request, close.AnsweredBelow, close.Session), now);
                break;
            case ReplicaRequest.Acquire acquire:
                Acquire(pending, acquire, now);
                break;
            case ReplicaRequest.Release release:
                Propose(pending, new Release(release.Request, release.AnsweredBelow, release.Session, release.Name, release.Token), now);
                break;
            case ReplicaRequest.CancelWait cancel:
                Propose(pending, new CancelWait(cancel.Request, cancel.AnsweredBelow, cancel.Session, cancel.Name, cancel.AcquireSequence), now);
                break;
            case ReplicaRequest.Describe or ReplicaRequest.IsCurrent or ReplicaRequest.List:
                ReadBarrier(pending, now);
                break;
            case ReplicaRequest.ForceRelease or ReplicaRequest.TransferLeadership:
                Administer(pending, now);
                break;
            default:
                Answer(pending, Refused(request, new Refusal(ReplyCode.InvalidArgument, -1, $"Unknown request {request.GetType().Name}.")));
                break;
        }

        Pump(now);
    }

    /// <summary>
    /// Renews a session without a log entry of its own: the leader lists it in its next clock tick and answers once
    /// that tick is applied, so any next leader knows the renewal the client was told about.
    /// </summary>
    private void KeepAlive(PendingRequest pending, ReplicaRequest.KeepAlive keepAlive, TimeSpan now)
    {
        // Unknown here may only mean not applied here yet: a new leader before its first entry commits, or a deposed
        // leader that does not know it yet. Confirm with a read barrier, after which its owner can be checked too:
        // nobody's session is renewed unchecked.
        var session = _leases.GetSession(keepAlive.Session);
        if (session is null)
        {
            ReadBarrier(pending, now);
            return;
        }

        if (session.Client != keepAlive.Client)
        {
            Answer(pending, NotOwner(keepAlive.Session));
            return;
        }

        Renew(pending, keepAlive.Session, now);
    }

    private void Renew(PendingRequest pending, SessionId session, TimeSpan now)
    {
        pending.Stage = PendingStage.Renewing;
        pending.Deadline = now + _options.MaxPollDuration;
        _renewals.Add(session, pending);
    }

    private void OnRenewed(PendingRequest keepAlive, bool renewed)
    {
        if (keepAlive.Answered)
        {
            return;
        }

        var session = ((ReplicaRequest.KeepAlive)keepAlive.Request).Session;
        Answer(keepAlive, !renewed
            ? new ReplicaReply.Session(ReplyCode.NotLeader, session, 0, LeaderHint(), "Leadership changed before the renewal committed; retry.")
            : _leases.GetSession(session) is { } info
                ? new ReplicaReply.Session(ReplyCode.Ok, session, info.TtlMs)
                : SessionGone(session));
    }

    private void Acquire(PendingRequest pending, ReplicaRequest.Acquire acquire, TimeSpan now)
    {
        var waits = acquire.WaitMs > 0;
        if (waits)
        {
            _waitWatchers.Watch(acquire.Request, pending);
        }

        // A re-poll of a wait this caught-up leader already holds is answered from its state: no log entry per poll.
        if (waits && _appliedIndex >= _leaderCaughtUpIndex && _leases.DescribeRequest(acquire.Session, acquire.Name, acquire.Request) is { } known)
        {
            OnProposalOutcome(pending, ReplyCode.Ok, known, now);
            return;
        }

        var waitUntil = waits ? SaturatingAdd(_clock.NextClockMs(now), acquire.WaitMs) : LockService.Leases.Acquire.NoWait;
        Propose(pending, new Acquire(acquire.Request, acquire.AnsweredBelow, acquire.Session, acquire.Name, acquire.Mode, waitUntil, MaxCount: acquire.MaxCount), now);
    }

    private void Propose(PendingRequest pending, LeaseCommand command, TimeSpan now)
    {
        var proposed = ProposeCommand(command);
        switch (proposed.Status)
        {
            case ProposeStatus.NotLeader:
                OnProposalOutcome(pending, ReplyCode.NotLeader, null, now);
                return;
            case ProposeStatus.Overloaded:
                OnProposalOutcome(pending, ReplyCode.Overloaded, null, now);
                return;
        }

        Outbox.Event(ReplicaEvent.Proposed.Instance);
        pending.Stage = PendingStage.Proposing;
        pending.Index = proposed.Index;
        pending.Term = proposed.Term;
        pending.ProposedAt = now;
        pending.Deadline = now + _options.MaxPollDuration;
        _proposals[proposed.Index] = pending;
    }

    /// <param name="code"><see cref="ReplyCode.Ok"/> with the state machine's result, or why there is none.</param>
    private void OnProposalOutcome(PendingRequest pending, ReplyCode code, LeaseResult? result, TimeSpan now)
    {
        if (pending.Answered)
        {
            return;
        }

        switch (pending.Request)
        {
            case ReplicaRequest.OpenSession open:
                Answer(pending, result switch
                {
                    SessionOpened opened => new ReplicaReply.Session(ReplyCode.Ok, opened.Session, open.TtlMs),
                    Rejected rejected => new ReplicaReply.Session(LeaseAnswers.ToCode(rejected.Code), default, 0, Message: rejected.Message),
                    _ => new ReplicaReply.Session(code, default, 0, LeaderHint(), Unanswered(code)),
                });
                break;
            case ReplicaRequest.CloseSession close:
                Answer(pending, result switch
                {
                    Done => new ReplicaReply.Session(ReplyCode.Ok, close.Session, 0),
                    Rejected rejected => new ReplicaReply.Session(LeaseAnswers.ToCode(rejected.Code), close.Session, 0, Message: rejected.Message),
                    _ => new ReplicaReply.Session(code, close.Session, 0, LeaderHint(), Unanswered(code)),
                });
                break;
            case ReplicaRequest.Acquire acquire:
                OnAcquireOutcome(pending, acquire, code, result, now);
                break;
            case ReplicaRequest.Release:
                Answer(pending, ToReleaseReply(code, result));
                break;
            case ReplicaRequest.ForceRelease force:
                OnForceReleaseOutcome(pending, force, code, result);
                break;
            case ReplicaRequest.CancelWait:
                // The wait is gone either way; the acquire's own answer says how.
                Answer(pending, result is Rejected { Code: RejectionCode.NotWaiting } ? new ReplicaReply.Release(ReplyCode.Ok) : ToReleaseReply(code, result));
                break;
        }
    }

    private void OnAcquireOutcome(PendingRequest pending, ReplicaRequest.Acquire acquire, ReplyCode code, LeaseResult? result, TimeSpan now)
    {
        var waits = acquire.WaitMs > 0;
        if (result is Queued queued && waits && _waitWatchers.IsWatching(acquire.Request, pending))
        {
            if (pending.EarlyAnswer is { } answer)
            {
                _waitWatchers.Forget(acquire.Request, pending);
                Answer(pending, LeaseAnswers.ToAcquireReply(answer, waited: true, queued.Position));
                return;
            }

            var pollMs = Math.Clamp(acquire.PollMs, 1, (long)_options.MaxPollDuration.TotalMilliseconds);
            pending.Stage = PendingStage.Waiting;
            pending.QueuePosition = queued.Position;
            pending.Deadline = now + TimeSpan.FromMilliseconds(pollMs);
            return;
        }

        ForgetWatcher(pending);
        Answer(pending, result is not null
            ? LeaseAnswers.ToAcquireReply(result, waits, 0)
            : new ReplicaReply.Acquire(code, default, 0, LeaderHint(), Unanswered(code)));
    }

    private void OnWaitResolved(WaitResolved resolved) =>
        _waitWatchers.Resolve(resolved.Request, resolved.Answer, poll => Answer(poll, LeaseAnswers.ToAcquireReply(resolved.Answer, waited: true, poll.QueuePosition)));

    private void ForgetWatcher(PendingRequest pending)
    {
        if (pending.Request is ReplicaRequest.Acquire acquire)
        {
            _waitWatchers.Forget(acquire.Request, pending);
        }
    }

    /// <summary>Waits until this leader confirmed its leadership and applied up to the read index (ReadIndex).</summary>
    private void ReadBarrier(PendingRequest pending, TimeSpan now)
    {
        var id = _reads.NextId();
        if (!_raft.ReadIndex(id))
        {
            Answer(pending, Refused(pending.Request, new Refusal(ReplyCode.NotLeader, LeaderHint(), "Not the leader.")));
            return;
        }

        _probe?.OnReadIssued(id);
        pending.Stage = PendingStage.Reading;
        pending.Index = id;
        pending.Deadline = now + _options.MaxPollDuration;
        _reads.Add(id, pending);
    }

    private void ServeReads(TimeSpan now)
    {
        _scratch.Clear();
        _reads.TakeReady(_appliedIndex, _scratch);
        foreach (var read in _scratch)
        {
            if (!read.Answered)
            {
                OnReadConfirmed(read, now);
            }
        }

        _scratch.Clear();
    }

    private void OnReadConfirmed(PendingRequest pending, TimeSpan now)
    {
        switch (pending.Request)
        {
            case ReplicaRequest.KeepAlive keepAlive:
                if (_leases.GetSession(keepAlive.Session) is not { } session)
                {
                    Answer(pending, SessionGone(keepAlive.Session));
                }
                else if (session.Client != keepAlive.Client)
                {
                    Answer(pending, NotOwner(keepAlive.Session));
                }
                else if (!CanServe(out var refusal))
                {
                    Answer(pending, Refused(pending.Request, refusal));
                }
                else
                {
                    Renew(pending, keepAlive.Session, now);
                }

                break;
            case ReplicaRequest.Describe describe:
                Answer(pending, new ReplicaReply.Describe(ReplyCode.Ok, describe.Name, _leases.Describe(describe.Name, _clock.EstimateMs(now))));
                break;
            case ReplicaRequest.IsCurrent isCurrent:
                Answer(pending, new ReplicaReply.IsCurrent(ReplyCode.Ok, _leases.IsCurrent(isCurrent.Name, isCurrent.Token)));
                break;
            case ReplicaRequest.List list:
                Answer(pending, new ReplicaReply.List(ReplyCode.Ok, _leases.List(list.Prefix ?? "", list.After, list.Limit)));
                break;
        }
    }

    /// <summary>Answers what waited past its deadline: the client retries (exactly-once makes that safe).</summary>
    private void ExpireDeadlines(TimeSpan now)
    {
        _scratch.Clear();
        foreach (var pending in _open.Values)
        {
            if (pending.Deadline <= now)
            {
                _scratch.Add(pending);
            }
        }

        foreach (var pending in _scratch)
        {
            switch (pending.Stage)
            {
                case PendingStage.Proposing:
                    _proposals.Remove(pending.Index);
                    ForgetWatcher(pending);
                    Answer(pending, Refused(pending.Request, new Refusal(ReplyCode.Unavailable, LeaderHint(), Unanswered(ReplyCode.Unavailable))));
                    break;
                case PendingStage.Waiting:
                    ForgetWatcher(pending);
                    Answer(pending, new ReplicaReply.Acquire(ReplyCode.Queued, default, pending.QueuePosition));
                    break;
                case PendingStage.Renewing:
                    Answer(pending, Refused(pending.Request, new Refusal(ReplyCode.Unavailable, LeaderHint(), "The renewal was not committed in time; retry.")));
                    break;
                case PendingStage.Reading:
                    _reads.Remove(pending.Index);
                    Answer(pending, Refused(pending.Request, new Refusal(ReplyCode.Unavailable, LeaderHint(), "The leader could not confirm its leadership in time; retry.")));
                    break;
            }
        }

        _scratch.Clear();
    }

    /// <summary>Fails every open request: they were not answered here, so the client retries (exactly-once makes that safe).</summary>
    private void FailPending(ReplyCode code)
    {
        _scratch.Clear();
        _scratch.AddRange(_open.Values);
        _proposals.Clear();
        _waitWatchers.Clear();
        _reads.Clear();
        _renewals.Clear();
        foreach (var pending in _scratch)
        {
            var refusal = pending.Stage switch
            {
                PendingStage.Proposing => new Refusal(code, LeaderHint(), Unanswered(code)),
                PendingStage.Waiting => new Refusal(ReplyCode.NotLeader, LeaderHint(), "Leadership changed while waiting; re-issue the same request."),
                PendingStage.Renewing => new Refusal(ReplyCode.NotLeader, LeaderHint(), "Leadership changed before the renewal committed; retry."),
                _ => new Refusal(ReplyCode.NotLeader, LeaderHint(), "Leadership changed during the read; retry."),
            };
            Answer(pending, pending.Stage == PendingStage.Waiting
                ? new ReplicaReply.Acquire(refusal.Code, default, pending.QueuePosition, refusal.LeaderHint, refusal.Message)
                : Refused(pending.Request, refusal));
        }

        _scratch.Clear();
    }

    private void Answer(PendingRequest pending, ReplicaReply reply)
    {
        if (pending.Answered)
        {
            return;
        }

        pending.Answered = true;
        _open.Remove(pending.Ticket);
        if (pending.ForwardToLeader && ForwardTarget(reply) is >= 0 and var leader)
        {
            Outbox.Forward(new ForwardRequest(pending.Ticket, leader, pending.Request));
            return;
        }

        Outbox.Reply(pending.Ticket, reply);
    }

    private bool CanServe(out Refusal refusal)
    {
        if (IsStopped)
        {
            refusal = new Refusal(ReplyCode.Unavailable, -1, $"Replica {_raft.Id} stopped ({StopReason}); retry.");
            return false;
        }

        if (!IsLeader)
        {
            refusal = _raft.Role == RaftRole.Leader
                ? new Refusal(ReplyCode.Unavailable, _raft.Id, "The new leader is taking over; retry.")
                : new Refusal(ReplyCode.NotLeader, LeaderHint(), null);
            return false;
        }

        refusal = default;
        return true;
    }

    /// <summary>
    /// Where to send clients: during a leadership transfer the target is about to lead, so there rather than back here.
    /// A leader this follower has not heard from lately is not named (-1): a client sent to a paused or dead leader,
    /// or asking this follower to forward to it, would wait out its call timeout, while one told "no leader known"
    /// keeps probing and finds the next leader as soon as it is elected.
    /// </summary>
    public int LeaderHint() => IsStopped ? -1 : _raft.LeadTransferee ?? (_raft.HearsFromLeader ? _raft.LeaderId : null) ?? -1;

    /// <summary>The refusal in the reply shape of the request's kind.</summary>
    private static ReplicaReply Refused(ReplicaRequest request, Refusal refusal) => request switch
    {
        ReplicaRequest.OpenSession => new ReplicaReply.Session(refusal.Code, default, 0, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.KeepAlive keepAlive => new ReplicaReply.Session(refusal.Code, keepAlive.Session, 0, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.CloseSession close => new ReplicaReply.Session(refusal.Code, close.Session, 0, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.Acquire => new ReplicaReply.Acquire(refusal.Code, default, 0, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.Describe describe => new ReplicaReply.Describe(refusal.Code, describe.Name, null, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.IsCurrent => new ReplicaReply.IsCurrent(refusal.Code, false, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.List => new ReplicaReply.List(refusal.Code, null, refusal.LeaderHint, refusal.Message),
        ReplicaRequest.ForceRelease or ReplicaRequest.TransferLeadership => new ReplicaReply.Admin(refusal.Code, LeaderHint: refusal.LeaderHint, Message: refusal.Message),
        _ => new ReplicaReply.Release(refusal.Code, refusal.LeaderHint, refusal.Message),
    };

    /// <summary>Another client's session looks like no session at all: the answer tells a stranger nothing.</summary>
    private static ReplicaReply.Session NotOwner(SessionId session) =>
        new(ReplyCode.UnknownSession, session, 0, Message: "No such session for this client: open a session of your own.");

    private static ReplicaReply.Session SessionGone(SessionId session) =>
        new(ReplyCode.SessionExpired, session, 0, Message: "The session has expired or was closed; open a new one.");

    private ReplicaReply.Release ToReleaseReply(ReplyCode code, LeaseResult? result) => result switch
    {
        Done => new(ReplyCode.Ok),
        Rejected rejected => new(LeaseAnswers.ToCode(rejected.Code), Message: rejected.Message),
        _ => new(code, LeaderHint(), Unanswered(code)),
    };

    private static string? Unanswered(ReplyCode code) => code switch
    {
        ReplyCode.NotLeader => "Leadership changed before the command was applied; retry with the same request id.",
        ReplyCode.Unavailable => "The command was not committed in time; retry with the same request id.",
        ReplyCode.Overloaded => "The leader has too many uncommitted commands; back off and retry.",
        _ => null,
    };

    private static long SaturatingAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;

    private readonly record struct Refusal(ReplyCode Code, int LeaderHint, string? Message);
}
