using LockService.Client;
using LockService.Leases;
using LockService.Protocol;

namespace LockService.Hosting;

/// <summary>The client entry point: commands are proposed, committed and applied before they are answered.</summary>
public sealed partial class ReplicaGrain
{
    public async Task<SessionReply> OpenSession(OpenSessionRequest request)
    {
        if (!CanServe(out var refusal))
        {
            return new SessionReply(refusal.Status, Guid.Empty, 0, refusal.LeaderHint, refusal.Message);
        }

        // A fresh id for every proposal, retries included: the state machine answers a retry with the session it
        // opened the first time, so the id of a proposal that lost the race is never used.
        var command = new OpenSession(
            LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.NewSessionId(), request.TtlMs,
            _clock.NextClockMs(LocalNow));
        var outcome = await ProposeAsync(command);
        return outcome.Result switch
        {
            SessionOpened opened => new SessionReply(ReplyStatus.Ok, LeaseIds.ToGuid(opened.Session), request.TtlMs),
            Rejected rejected => new SessionReply(LeaseReplies.ToStatus(rejected.Code), Guid.Empty, 0, Message: rejected.Message),
            _ => new SessionReply(outcome.Status, Guid.Empty, 0, LeaderHint(), Unanswered(outcome.Status)),
        };
    }

    /// <summary>
    /// Renews a session without a log entry of its own: the leader lists it in its next clock tick and answers once
    /// that tick is applied, so any next leader knows the renewal the client was told about.
    /// </summary>
    public async Task<SessionReply> KeepAlive(KeepAliveRequest request)
    {
        if (!CanServe(out var refusal))
        {
            return new SessionReply(refusal.Status, request.SessionId, 0, refusal.LeaderHint, refusal.Message);
        }

        // A new leader may not have applied every entry committed before its term yet: until it has, a session it
        // does not know may still exist, so only the answer after the renewal's tick applies is trusted.
        var session = LeaseIds.ToSessionId(request.SessionId);
        if (_appliedIndex >= _leaderCaughtUpIndex && _leases.GetSession(session) is null)
        {
            // Unknown here may only mean not applied here yet: a new leader before its first entry commits, or a
            // deposed leader that does not know it yet. Confirm with a read barrier before saying it expired.
            if (await ReadBarrierAsync() is { } unconfirmed)
            {
                return new SessionReply(unconfirmed.Status, request.SessionId, 0, unconfirmed.LeaderHint, unconfirmed.Message);
            }

            if (_leases.GetSession(session) is null)
            {
                return SessionGone(request.SessionId);
            }

            if (!CanServe(out refusal))
            {
                return new SessionReply(refusal.Status, request.SessionId, 0, refusal.LeaderHint, refusal.Message);
            }
        }

        _pendingRenewals.Add(session);
        var acknowledged = _pendingRenewalsAck.Task;
        bool renewed;
        try
        {
            renewed = await acknowledged.WaitAsync(_options.MaxPollDuration);
        }
        catch (TimeoutException)
        {
            return new SessionReply(ReplyStatus.Unavailable, request.SessionId, 0, LeaderHint(), "The renewal was not committed in time; retry.");
        }

        if (!renewed)
        {
            return new SessionReply(ReplyStatus.NotLeader, request.SessionId, 0, LeaderHint(), "Leadership changed before the renewal committed; retry.");
        }

        return _leases.GetSession(session) is { } info
            ? new SessionReply(ReplyStatus.Ok, request.SessionId, info.TtlMs)
            : SessionGone(request.SessionId);
    }

    public async Task<SessionReply> CloseSession(CloseSessionRequest request)
    {
        if (!CanServe(out var refusal))
        {
            return new SessionReply(refusal.Status, request.SessionId, 0, refusal.LeaderHint, refusal.Message);
        }

        var outcome = await ProposeAsync(new CloseSession(
            LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId)));
        return outcome.Result switch
        {
            Done => new SessionReply(ReplyStatus.Ok, request.SessionId, 0),
            Rejected rejected => new SessionReply(LeaseReplies.ToStatus(rejected.Code), request.SessionId, 0, Message: rejected.Message),
            _ => new SessionReply(outcome.Status, request.SessionId, 0, LeaderHint(), Unanswered(outcome.Status)),
        };
    }

    public async Task<AcquireReply> Acquire(AcquireRequest request)
    {
        if (!CanServe(out var refusal))
        {
            return new AcquireReply(refusal.Status, default, 0, refusal.LeaderHint, refusal.Message);
        }

        if (request.WaitMs < 0 || request.Mode is not (LockMode.Exclusive or LockMode.Shared))
        {
            return new AcquireReply(ReplyStatus.InvalidArgument, default, 0, Message: "WaitMs must be ≥ 0 and Mode Exclusive or Shared.");
        }

        var requestId = LeaseIds.ToRequestId(request.Request);
        var waits = request.WaitMs > 0;
        TaskCompletionSource<LeaseResult>? watcher = null;
        if (waits)
        {
            // Watch before proposing: the wait may be resolved by a later entry applied before this call resumes.
            watcher = new TaskCompletionSource<LeaseResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waitWatchers[requestId] = watcher;
        }

        // A re-poll of a wait this caught-up leader already holds is answered from its state: no log entry per poll.
        var session = LeaseIds.ToSessionId(request.SessionId);
        var known = waits && _appliedIndex >= _leaderCaughtUpIndex ? _leases.DescribeRequest(session, request.Name, requestId) : null;
        ProposalOutcome outcome;
        if (known is not null)
        {
            outcome = new ProposalOutcome(ReplyStatus.Ok, known);
        }
        else
        {
            var waitUntil = waits ? SaturatingAdd(_clock.NextClockMs(LocalNow), request.WaitMs) : Leases.Acquire.NoWait;
            outcome = await ProposeAsync(new Leases.Acquire(
                requestId, (ulong)request.AnsweredBelow, session, request.Name, request.Mode, waitUntil, MaxCount: request.MaxCount));
        }

        if (outcome.Result is Queued queued && watcher is not null)
        {
            var poll = TimeSpan.FromMilliseconds(Math.Clamp(request.PollMs, 1, (long)_options.MaxPollDuration.TotalMilliseconds));
            try
            {
                var answer = await watcher.Task.WaitAsync(poll);
                return LeaseReplies.ToAcquireReply(answer, waited: true, queued.Position);
            }
            catch (TimeoutException)
            {
                return new AcquireReply(ReplyStatus.Queued, default, queued.Position);
            }
            catch (OperationCanceledException)
            {
                return new AcquireReply(ReplyStatus.NotLeader, default, queued.Position, LeaderHint(), "Leadership changed while waiting; re-issue the same request.");
            }
            finally
            {
                if (_waitWatchers.TryGetValue(requestId, out var current) && current == watcher)
                {
                    _waitWatchers.Remove(requestId);
                }
            }
        }

        if (watcher is not null && _waitWatchers.TryGetValue(requestId, out var registered) && registered == watcher)
        {
            _waitWatchers.Remove(requestId);
        }

        return outcome.Result is { } result
            ? LeaseReplies.ToAcquireReply(result, waits, 0)
            : new AcquireReply(outcome.Status, default, 0, LeaderHint(), Unanswered(outcome.Status));
    }

    public async Task<ReleaseReply> Release(ReleaseRequest request)
    {
        if (!CanServe(out var refusal))
        {
            return new ReleaseReply(refusal.Status, refusal.LeaderHint, refusal.Message);
        }

        var outcome = await ProposeAsync(new Leases.Release(
            LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId),
            request.Name, request.Token));
        return ToReleaseReply(outcome);
    }

    public async Task<ReleaseReply> CancelWait(CancelWaitRequest request)
    {
        if (!CanServe(out var refusal))
        {
            return new ReleaseReply(refusal.Status, refusal.LeaderHint, refusal.Message);
        }

        var outcome = await ProposeAsync(new Leases.CancelWait(
            LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId),
            request.Name, (ulong)request.AcquireRequest.Sequence));
        return outcome.Result is Rejected { Code: RejectionCode.NotWaiting }
            ? new ReleaseReply(ReplyStatus.Ok) // the wait is gone either way; the acquire's own answer says how
            : ToReleaseReply(outcome);
    }

    public async Task<DescribeReply> Describe(string name)
    {
        var refusal = await ReadBarrierAsync();
        if (refusal is { } r)
        {
            return new DescribeReply(r.Status, name, [], [], r.LeaderHint, r.Message);
        }

        var description = _leases.Describe(name, _clock.EstimateMs(LocalNow));
        if (description is null)
        {
            return new DescribeReply(ReplyStatus.Ok, name, [], []);
        }

        var holders = description.Holders
            .Select(h => new LockHolderInfo(LeaseIds.ToGuid(h.Session), h.Mode, h.Token, h.SessionRemainingMs))
            .ToArray();
        var waiters = description.Waiters
            .Select(w => new LockWaiterInfo(LeaseIds.ToGuid(w.Session), w.Mode, LeaseIds.ToWire(w.Request)))
            .ToArray();
        return new DescribeReply(ReplyStatus.Ok, name, holders, waiters, MaxCount: description.MaxCount);
    }

    public async Task<IsCurrentReply> IsCurrent(string name, FencingToken token)
    {
        var refusal = await ReadBarrierAsync();
        return refusal is { } r
            ? new IsCurrentReply(r.Status, false, r.LeaderHint, r.Message)
            : new IsCurrentReply(ReplyStatus.Ok, _leases.IsCurrent(name, token));
    }

    public async Task<ListReply> List(string prefix, string? after, int limit)
    {
        if (limit is < 1 or > MaxListPage)
        {
            return new ListReply(ReplyStatus.InvalidArgument, [], null, Message: $"limit must be 1..{MaxListPage}.");
        }

        var refusal = await ReadBarrierAsync();
        if (refusal is { } r)
        {
            return new ListReply(r.Status, [], null, r.LeaderHint, r.Message);
        }

        var page = _leases.List(prefix ?? "", after, limit);
        return new ListReply(
            ReplyStatus.Ok,
            page.Locks.Select(l => new LockSummaryInfo(l.Name, l.Holders, l.Waiters, l.Mode, l.NewestToken, l.MaxCount)).ToArray(),
            page.Continuation);
    }

    private const int MaxListPage = 1000;

    private async Task<ProposalOutcome> ProposeAsync(LeaseCommand command)
    {
        if (!IsLeader)
        {
            return new ProposalOutcome(_stopped ? ReplyStatus.Unavailable : ReplyStatus.NotLeader, null);
        }

        var proposed = _raft.Propose(Leases.LeaseCommandCodec.Encode(command));
        switch (proposed.Status)
        {
            case Raft.ProposeStatus.NotLeader:
                return new ProposalOutcome(ReplyStatus.NotLeader, null);
            case Raft.ProposeStatus.Overloaded:
                return new ProposalOutcome(ReplyStatus.Overloaded, null);
        }

        metrics.Proposals.Add(1);
        var pending = new PendingProposal(proposed.Term);
        _proposals[proposed.Index] = pending;
        _ = PumpAsync();
        try
        {
            return await pending.Outcome.WaitAsync(_options.MaxPollDuration);
        }
        catch (TimeoutException)
        {
            _proposals.Remove(proposed.Index);
            return new ProposalOutcome(ReplyStatus.Unavailable, null);
        }
    }

    /// <summary>Waits until this leader confirmed its leadership and applied up to the read index (ReadIndex).</summary>
    private async Task<Refusal?> ReadBarrierAsync()
    {
        if (!CanServe(out var refusal))
        {
            return refusal;
        }

        var id = ++_nextReadId;
        if (!_raft.ReadIndex(id))
        {
            return new Refusal(ReplyStatus.NotLeader, LeaderHint(), "Not the leader.");
        }

        var signal = NewSignal();
        _reads[id] = signal;
        _ = PumpAsync();
        try
        {
            return await signal.Task.WaitAsync(_options.MaxPollDuration)
                ? null
                : new Refusal(ReplyStatus.NotLeader, LeaderHint(), "Leadership changed during the read; retry.");
        }
        catch (TimeoutException)
        {
            _reads.Remove(id);
            return new Refusal(ReplyStatus.Unavailable, LeaderHint(), "The leader could not confirm its leadership in time; retry.");
        }
    }

    private bool CanServe(out Refusal refusal)
    {
        if (_stopped)
        {
            refusal = new Refusal(ReplyStatus.Unavailable, -1, $"Replica {_key} stopped ({_stopReason}); retry.");
            return false;
        }

        if (!IsLeader)
        {
            refusal = _raft.Role == Raft.RaftRole.Leader
                ? new Refusal(ReplyStatus.Unavailable, _replica, "The new leader is taking over; retry.")
                : new Refusal(ReplyStatus.NotLeader, LeaderHint(), null);
            return false;
        }

        refusal = default;
        return true;
    }

    // During a leadership transfer the target is about to lead: send clients there rather than back here.
    private int LeaderHint() => _stopped ? -1 : _raft.LeadTransferee ?? _raft.LeaderId ?? -1;

    private static SessionReply SessionGone(Guid session) =>
        new(ReplyStatus.SessionExpired, session, 0, Message: "The session has expired or was closed; open a new one.");

    private static string? Unanswered(ReplyStatus status) => status switch
    {
        ReplyStatus.NotLeader => "Leadership changed before the command was applied; retry with the same request id.",
        ReplyStatus.Unavailable => "The command was not committed in time; retry with the same request id.",
        ReplyStatus.Overloaded => "The leader has too many uncommitted commands; back off and retry.",
        _ => null,
    };

    private ReleaseReply ToReleaseReply(ProposalOutcome outcome) => outcome.Result switch
    {
        Done => new ReleaseReply(ReplyStatus.Ok),
        Rejected rejected => new ReleaseReply(LeaseReplies.ToStatus(rejected.Code), Message: rejected.Message),
        _ => new ReleaseReply(outcome.Status, LeaderHint(), Unanswered(outcome.Status)),
    };

    private static long SaturatingAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;

    private readonly record struct Refusal(ReplyStatus Status, int LeaderHint, string? Message);
}
