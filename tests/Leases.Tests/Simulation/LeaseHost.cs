using LockService.Hosting;
using LockService.Leases;
using LockService.Protocol;
using LockService.Raft;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// The replica grain's lease logic (<c>Grains/Hosting/ReplicaGrain.cs</c> and <c>ReplicaGrain.Client.cs</c>) on a
/// simulated replica, statement by statement where time, the lease clock and keepalives are concerned: one
/// <see cref="Tick"/> per leader tick with <see cref="LeaseClock.NextClockMs"/> and the renewals seen since the last
/// one; <see cref="LeaseClock.OnEntryAppended"/> for every clock-carrying entry as its write starts; truncation,
/// apply and snapshot reports; <see cref="LeaseClock.BecomeLeader"/> / <see cref="LeaseClock.StepDown"/> on soft
/// state as soon as the Ready is taken; keepalives acknowledged only once the Tick that carries them is applied;
/// <see cref="OpenSession"/> carrying <see cref="LeaseClock.NextClockMs"/>. Awaits become callbacks: a reply is
/// sent as a later step of the simulation, and a timeout is a scheduled step. A crash drops everything volatile
/// (no reply is ever sent for what was pending), as a dead silo does.
/// </summary>
internal sealed class LeaseHost(LeaseWorld world, int id) : ReplicaHost
{
    private const int MaxRenewalsPerTick = 2048;

    private readonly Dictionary<long, PendingProposal> proposals = [];
    private readonly Dictionary<RequestId, Signal<LeaseResult>> waitWatchers = [];
    private readonly Dictionary<long, Signal<bool>> renewalsByTickIndex = [];
    private readonly HashSet<SessionId> pendingRenewals = [];
    private readonly Dictionary<long, Signal<bool>> reads = [];
    private readonly List<ReadState> readsAwaitingApply = [];
    private long nextReadId = 1L << 40; // apart from the simulator's own reads
    private Signal<bool> pendingRenewalsAck = null!; // set at start
    private LeaseClock clock = new(world.Epsilon);
    private SimReplica? replica;
    private int ticksSinceClockEntry;
    private int incarnation;

    public int Id { get; } = id;

    /// <summary>Volatile state is gone at a crash; replies and timers of an older incarnation do nothing.</summary>
    public int Incarnation => incarnation;

    public LeaseClock Clock => clock;

    private SimReplica Replica => replica ?? throw new InvalidOperationException("host not started");

    private LeaseApplier Applier => (LeaseApplier)Replica.Applier;

    private LeaseStateMachine Leases => Applier.Machine;

    private RaftNode Raft => Replica.Node ?? throw new InvalidOperationException($"replica {Id} is down");

    private TimeSpan LocalNow => TimeSpan.FromMicroseconds(Replica.Clock.NowMicros);

    private bool IsLeader => Replica.Node is { Role: RaftRole.Leader };

    // ---- ReplicaGrain.cs ----

    /// <summary>OnActivateAsync → Restore: a fresh lease clock told about the snapshot and the log's clock entries.</summary>
    public override void OnStart(SimReplica started)
    {
        replica = started;
        incarnation++;
        ResetVolatileState();
        clock = new LeaseClock(world.Epsilon);
        var durable = started.Durable;
        var entries = durable.ToPersistedState().Entries;
        clock.OnLogLoaded(
            durable.Snapshot is { } snapshot ? (snapshot.Metadata.LastIncludedIndex, Leases.ClockMs) : null,
            ReplicaGrain.ClockEntries(entries),
            LocalNow);

        // Ground truth for the checker: what the log holds, arriving now.
        if (durable.Snapshot is { } loaded)
        {
            world.Checker.OnClockObserved(Id, loaded.Metadata.LastIncludedIndex, fromSnapshot: true, snapshotClockMs: Leases.ClockMs);
        }

        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entry.Data.Span, out _))
            {
                world.Checker.OnClockObserved(Id, entry.Index, fromSnapshot: false, term: entry.Term);
            }
        }
    }

    public override void OnCrash(SimReplica crashed)
    {
        incarnation++;
        ResetVolatileState();
        world.Checker.OnReplicaDown(Id);
    }

    /// <summary>OnTimerAsync: <c>_raft.Tick()</c> (done by the simulator), then the leader's clock tick.</summary>
    public override void OnTick(SimReplica ticked)
    {
        if (IsLeader)
        {
            ProposeClockTick();
        }
    }

    /// <summary>
    /// ProposeClockTick: the leader's one entry per tick for time and the keepalives seen since the last one;
    /// skipped while nothing can expire except for a periodic one, and while four are uncommitted.
    /// </summary>
    private void ProposeClockTick()
    {
        ticksSinceClockEntry++;
        var needed = pendingRenewals.Count > 0 || Leases.SessionCount > 0 || ticksSinceClockEntry >= 20;
        if (!needed || renewalsByTickIndex.Count >= 4)
        {
            return;
        }

        var renewals = pendingRenewals.Take(MaxRenewalsPerTick).ToArray();
        var command = new Tick(clock.NextClockMs(LocalNow), renewals);
        var result = Propose(command);
        if (!result.IsAccepted)
        {
            return;
        }

        ticksSinceClockEntry = 0;
        foreach (var session in renewals)
        {
            pendingRenewals.Remove(session);
        }

        var ack = pendingRenewalsAck;
        if (pendingRenewals.Count == 0)
        {
            pendingRenewalsAck = new Signal<bool>(world.Sim);
        }
        else
        {
            ack = new Signal<bool>(world.Sim); // sessions left for the next tick must not be acknowledged by this one
        }

        renewalsByTickIndex[result.Index] = ack;
    }

    /// <summary>PumpAsync, at GetReady: soft state first, then PersistAsync's clock reports for the entries it writes.</summary>
    public override void OnReady(SimReplica readyReplica, Ready ready)
    {
        if (ready.SoftState is { } softState)
        {
            OnSoftState(softState);
        }

        var entries = ready.EntriesToPersist.Span;
        if (entries.Length > 0)
        {
            var now = LocalNow;
            clock.OnLogTruncated(entries[0].Index);
            world.Checker.OnLogTruncated(Id, entries[0].Index);
            foreach (ref readonly var entry in entries)
            {
                if (entry.Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entry.Data.Span, out var clockMs))
                {
                    world.Sim.Trace.Add(world.Sim.NowMicros, Id, "clock entry appended", new ClockEntry(entry.Index, entry.Term, clockMs));
                    clock.OnEntryAppended(entry.Index, clockMs, now);
                    world.Checker.OnClockObserved(Id, entry.Index, fromSnapshot: false, term: entry.Term);
                }
            }
        }
    }

    /// <summary>InstallSnapshot: the lease clock restarts from the snapshot's clock.</summary>
    public override void OnSnapshotInstalled(SimReplica installed, Snapshot snapshot)
    {
        clock.OnSnapshotInstalled(snapshot.Metadata.LastIncludedIndex, Leases.ClockMs, LocalNow);
        world.Checker.OnClockObserved(Id, snapshot.Metadata.LastIncludedIndex, fromSnapshot: true, snapshotClockMs: Leases.ClockMs);
    }

    /// <summary>Apply (one entry): answer its proposal, resolve waits, acknowledge the renewals of its tick.</summary>
    public override void OnApplied(SimReplica applied, in LogEntry entry)
    {
        LeaseResult? result = null;
        if (entry.Type == EntryType.Normal)
        {
            result = Applier.LastResult;
            foreach (var leaseEvent in Applier.LastEvents)
            {
                if (leaseEvent is WaitResolved resolved && waitWatchers.Remove(resolved.Request, out var watcher))
                {
                    watcher.TrySetResult(resolved.Answer);
                }
            }
        }

        clock.OnApplied(entry.Index);
        world.Checker.OnApplied(this, Replica, entry);
        if (proposals.Remove(entry.Index, out var proposal))
        {
            proposal.Complete(entry.Term, result);
        }

        if (renewalsByTickIndex.Remove(entry.Index, out var renewed))
        {
            renewed.TrySetResult(entry.Type == EntryType.Normal);
        }

        ServeReads();
    }

    /// <summary>OnSoftState: a new leader fixes its clock base; anything else fails what was pending here.</summary>
    private void OnSoftState(SoftState softState)
    {
        if (softState.Role == RaftRole.Leader)
        {
            clock.BecomeLeader(LocalNow);
            world.Sim.Trace.Add(world.Sim.NowMicros, Id, "leader's lease clock starts at", new ClockEntry(0, softState.Term, clock.NextClockMs(LocalNow)));
            ticksSinceClockEntry = int.MaxValue / 2; // write the clock at once
            world.Checker.OnBecameLeader(this, softState.Term);
            return;
        }

        if (clock.IsLeader)
        {
            clock.StepDown();
        }

        FailPending(ReplyStatus.NotLeader);
    }

    private void FailPending(ReplyStatus status)
    {
        foreach (var proposal in proposals.Values)
        {
            proposal.Fail(status);
        }

        proposals.Clear();
        foreach (var watcher in waitWatchers.Values)
        {
            watcher.TrySetCanceled();
        }

        waitWatchers.Clear();
        foreach (var read in reads.Values)
        {
            read.TrySetResult(false);
        }

        reads.Clear();
        readsAwaitingApply.Clear();
        foreach (var renewal in renewalsByTickIndex.Values)
        {
            renewal.TrySetResult(false);
        }

        renewalsByTickIndex.Clear();
        pendingRenewals.Clear();
        pendingRenewalsAck.TrySetResult(false);
        pendingRenewalsAck = new Signal<bool>(world.Sim);
    }

    private void ResetVolatileState()
    {
        proposals.Clear();
        waitWatchers.Clear();
        reads.Clear();
        readsAwaitingApply.Clear();
        renewalsByTickIndex.Clear();
        pendingRenewals.Clear();
        pendingRenewalsAck = new Signal<bool>(world.Sim);
        ticksSinceClockEntry = 0;
    }

    private ProposeResult Propose(LeaseCommand command)
    {
        var result = world.Sim.Propose(Replica, [LeaseCommandCodec.Encode(command)]);
        world.Sim.Trace.Add(world.Sim.NowMicros, Id, "  proposed", command);
        if (result.IsAccepted)
        {
            world.Checker.OnProposed(this, result, command);
        }

        return result;
    }

    // ---- ReplicaGrain.Client.cs ----

    public void OpenSession(OpenSessionRequest request, Action<SessionReply> reply)
    {
        if (!CanServe(out var refusal))
        {
            reply(new SessionReply(refusal.Status, Guid.Empty, 0, refusal.LeaderHint));
            return;
        }

        // A fresh id for every proposal, retries included (the simulation's random source stands for the OS one).
        var command = new OpenSession(
            LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, world.NewSessionId(), request.TtlMs,
            clock.NextClockMs(LocalNow));
        ProposeAsync(command, outcome => reply(outcome.Result switch
        {
            SessionOpened opened => new SessionReply(ReplyStatus.Ok, LeaseIds.ToGuid(opened.Session), request.TtlMs),
            Rejected rejected => new SessionReply(LeaseReplies.ToStatus(rejected.Code), Guid.Empty, 0, Message: rejected.Message),
            _ => new SessionReply(outcome.Status, Guid.Empty, 0, LeaderHint()),
        }));
    }

    /// <summary>Renews without a log entry of its own: listed in the next Tick, answered once that Tick is applied.</summary>
    public void KeepAlive(KeepAliveRequest request, Action<SessionReply> reply)
    {
        if (!CanServe(out var refusal))
        {
            reply(new SessionReply(refusal.Status, request.SessionId, 0, refusal.LeaderHint));
            return;
        }

        var session = LeaseIds.ToSessionId(request.SessionId);
        if (Leases.GetSession(session) is null)
        {
            // Unknown here may only mean not applied here yet (a new leader, a deposed one): confirm first.
            ReadBarrier(unconfirmed =>
            {
                if (unconfirmed is { } refusal)
                {
                    reply(new SessionReply(refusal.Status, request.SessionId, 0, refusal.LeaderHint));
                }
                else if (Leases.GetSession(session) is null)
                {
                    reply(SessionGone(request.SessionId));
                }
                else if (!CanServe(out var lost))
                {
                    reply(new SessionReply(lost.Status, request.SessionId, 0, lost.LeaderHint));
                }
                else
                {
                    Renew(session, request, reply);
                }
            });
            return;
        }

        Renew(session, request, reply);
    }

    private void Renew(SessionId session, KeepAliveRequest request, Action<SessionReply> reply)
    {
        pendingRenewals.Add(session);
        var acknowledged = pendingRenewalsAck;
        var mine = incarnation;
        var answered = false;
        acknowledged.OnResult(renewed =>
        {
            if (answered || mine != incarnation)
            {
                return;
            }

            answered = true;
            if (!renewed)
            {
                reply(new SessionReply(ReplyStatus.NotLeader, request.SessionId, 0, LeaderHint()));
                return;
            }

            reply(Leases.GetSession(session) is { } info
                ? new SessionReply(ReplyStatus.Ok, request.SessionId, info.TtlMs)
                : SessionGone(request.SessionId));
        });
        AfterLocal(world.Options.MaxPollMicros, () =>
        {
            if (!answered)
            {
                answered = true;
                reply(new SessionReply(ReplyStatus.Unavailable, request.SessionId, 0, LeaderHint()));
            }
        });
    }

    public void CloseSession(CloseSessionRequest request, Action<SessionReply> reply)
    {
        if (!CanServe(out var refusal))
        {
            reply(new SessionReply(refusal.Status, request.SessionId, 0, refusal.LeaderHint));
            return;
        }

        ProposeAsync(
            new CloseSession(LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId)),
            outcome => reply(outcome.Result switch
            {
                Done => new SessionReply(ReplyStatus.Ok, request.SessionId, 0),
                Rejected rejected => new SessionReply(LeaseReplies.ToStatus(rejected.Code), request.SessionId, 0, Message: rejected.Message),
                _ => new SessionReply(outcome.Status, request.SessionId, 0, LeaderHint()),
            }));
    }

    public void Acquire(AcquireRequest request, Action<AcquireReply> reply)
    {
        if (!CanServe(out var refusal))
        {
            reply(new AcquireReply(refusal.Status, default, 0, refusal.LeaderHint));
            return;
        }

        var requestId = LeaseIds.ToRequestId(request.Request);
        var waits = request.WaitMs > 0;
        Signal<LeaseResult>? watcher = null;
        if (waits)
        {
            // Watch before proposing: the wait may be resolved by a later entry applied before the answer.
            watcher = new Signal<LeaseResult>(world.Sim);
            waitWatchers[requestId] = watcher;
        }

        var waitUntil = waits ? SaturatingAdd(clock.NextClockMs(LocalNow), request.WaitMs) : LockService.Leases.Acquire.NoWait;
        var mine = incarnation;
        ProposeAsync(
            new Acquire(requestId, (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId), request.Name, request.Mode, waitUntil, MaxCount: request.MaxCount),
            outcome =>
            {
                if (outcome.Result is Queued queued && watcher is not null)
                {
                    var answered = false;
                    void Forget()
                    {
                        if (waitWatchers.TryGetValue(requestId, out var current) && current == watcher)
                        {
                            waitWatchers.Remove(requestId);
                        }
                    }

                    watcher.OnResult(
                        answer =>
                        {
                            if (!answered && mine == incarnation)
                            {
                                answered = true;
                                Forget();
                                reply(LeaseReplies.ToAcquireReply(answer, waited: true, queued.Position));
                            }
                        },
                        onCanceled: () =>
                        {
                            if (!answered && mine == incarnation)
                            {
                                answered = true;
                                Forget();
                                reply(new AcquireReply(ReplyStatus.NotLeader, default, queued.Position, LeaderHint()));
                            }
                        });
                    var pollMicros = Math.Clamp(request.PollMs, 1, world.Options.MaxPollMicros / 1000) * 1000;
                    AfterLocal(pollMicros, () =>
                    {
                        if (!answered)
                        {
                            answered = true;
                            Forget();
                            reply(new AcquireReply(ReplyStatus.Queued, default, queued.Position));
                        }
                    });
                    return;
                }

                if (watcher is not null && waitWatchers.TryGetValue(requestId, out var registered) && registered == watcher)
                {
                    waitWatchers.Remove(requestId);
                }

                reply(outcome.Result is { } result
                    ? LeaseReplies.ToAcquireReply(result, waits, 0)
                    : new AcquireReply(outcome.Status, default, 0, LeaderHint()));
            });
    }

    public void Release(ReleaseRequest request, Action<ReleaseReply> reply)
    {
        if (!CanServe(out var refusal))
        {
            reply(new ReleaseReply(refusal.Status, refusal.LeaderHint));
            return;
        }

        ProposeAsync(
            new Release(LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId), request.Name, request.Token),
            outcome => reply(ToReleaseReply(outcome)));
    }

    public void CancelWait(CancelWaitRequest request, Action<ReleaseReply> reply)
    {
        if (!CanServe(out var refusal))
        {
            reply(new ReleaseReply(refusal.Status, refusal.LeaderHint));
            return;
        }

        ProposeAsync(
            new CancelWait(
                LeaseIds.ToRequestId(request.Request), (ulong)request.AnsweredBelow, LeaseIds.ToSessionId(request.SessionId),
                request.Name, (ulong)request.AcquireRequest.Sequence),
            outcome => reply(outcome.Result is Rejected { Code: RejectionCode.NotWaiting }
                ? new ReleaseReply(ReplyStatus.Ok)
                : ToReleaseReply(outcome)));
    }

    private void ProposeAsync(LeaseCommand command, Action<ProposalOutcome> done)
    {
        if (!IsLeader)
        {
            done(new ProposalOutcome(ReplyStatus.NotLeader, null));
            return;
        }

        var proposed = Propose(command);
        switch (proposed.Status)
        {
            case ProposeStatus.NotLeader:
                done(new ProposalOutcome(ReplyStatus.NotLeader, null));
                return;
            case ProposeStatus.Overloaded:
                done(new ProposalOutcome(ReplyStatus.Overloaded, null));
                return;
        }

        var mine = incarnation;
        var pending = new PendingProposal(proposed.Term, outcome =>
        {
            if (mine == incarnation)
            {
                done(outcome);
            }
        });
        proposals[proposed.Index] = pending;
        AfterLocal(world.Options.MaxPollMicros, () =>
        {
            if (proposals.TryGetValue(proposed.Index, out var current) && current == pending)
            {
                proposals.Remove(proposed.Index);
                pending.Fail(ReplyStatus.Unavailable);
            }
        });
    }

    /// <summary>ReadBarrierAsync: this leader confirmed its leadership and applied up to the read index (ReadIndex).</summary>
    private void ReadBarrier(Action<Refusal?> done)
    {
        if (!CanServe(out var refusal))
        {
            done(refusal);
            return;
        }

        var id = ++nextReadId;
        if (!Raft.ReadIndex(id))
        {
            done(new Refusal(ReplyStatus.NotLeader, LeaderHint()));
            return;
        }

        world.Sim.Checker.OnReadIssued(Replica, id);
        var signal = new Signal<bool>(world.Sim);
        reads[id] = signal;
        var answered = false;
        var mine = incarnation;
        signal.OnResult(confirmed =>
        {
            if (!answered && mine == incarnation)
            {
                answered = true;
                done(confirmed ? null : new Refusal(ReplyStatus.NotLeader, LeaderHint()));
            }
        });
        AfterLocal(world.Options.MaxPollMicros, () =>
        {
            if (!answered)
            {
                answered = true;
                reads.Remove(id);
                done(new Refusal(ReplyStatus.Unavailable, LeaderHint()));
            }
        });
    }

    public override void OnReadState(SimReplica replica, ReadState read)
    {
        if (reads.ContainsKey(read.RequestId))
        {
            readsAwaitingApply.Add(read);
            ServeReads();
        }
    }

    private void ServeReads()
    {
        for (var i = readsAwaitingApply.Count - 1; i >= 0; i--)
        {
            var read = readsAwaitingApply[i];
            if (read.Index <= Replica.AppliedIndex)
            {
                readsAwaitingApply.RemoveAt(i);
                if (reads.Remove(read.RequestId, out var signal))
                {
                    signal.TrySetResult(true);
                }
            }
        }
    }

    private bool CanServe(out Refusal refusal)
    {
        if (Replica.Node is not { } node)
        {
            refusal = new Refusal(ReplyStatus.Unavailable, -1);
            return false;
        }

        if (node.Role != RaftRole.Leader)
        {
            refusal = new Refusal(ReplyStatus.NotLeader, LeaderHint());
            return false;
        }

        refusal = default;
        return true;
    }

    private int LeaderHint() => Replica.Node?.LeaderId ?? -1;

    /// <summary>A timer of this activation: runs after <paramref name="localMicros"/> on the replica's clock, unless it crashed.</summary>
    private void AfterLocal(long localMicros, Action action)
    {
        var mine = incarnation;
        var at = Replica.Clock.GlobalAt(Replica.Clock.NowMicros + localMicros);
        world.Sim.At(at, () =>
        {
            if (mine == incarnation)
            {
                action();
            }
        });
    }

    private static SessionReply SessionGone(Guid session) => new(ReplyStatus.SessionExpired, session, 0);

    private ReleaseReply ToReleaseReply(ProposalOutcome outcome) => outcome.Result switch
    {
        Done => new ReleaseReply(ReplyStatus.Ok),
        Rejected rejected => new ReleaseReply(LeaseReplies.ToStatus(rejected.Code), Message: rejected.Message),
        _ => new ReleaseReply(outcome.Status, LeaderHint()),
    };

    private static long SaturatingAdd(long a, long b) => b > long.MaxValue - a ? long.MaxValue : a + b;

    private readonly record struct Refusal(ReplyStatus Status, int LeaderHint);

    private sealed record ClockEntry(long Index, long Term, long ClockMs)
    {
        public override string ToString() => Index > 0 ? $"{Index}@{Term}: {ClockMs} ms" : $"term {Term}: {ClockMs} ms";
    }


    /// <summary>The grain's PendingProposal: the entry at the proposed index is ours only if its term is the one we proposed in.</summary>
    private sealed class PendingProposal(long term, Action<ProposalOutcome> done)
    {
        private bool completed;

        public void Complete(long appliedTerm, LeaseResult? result) =>
            Finish(appliedTerm == term && result is not null
                ? new ProposalOutcome(ReplyStatus.Ok, result)
                : new ProposalOutcome(ReplyStatus.NotLeader, null));

        public void Fail(ReplyStatus status) => Finish(new ProposalOutcome(status, null));

        private void Finish(ProposalOutcome outcome)
        {
            if (!completed)
            {
                completed = true;
                done(outcome);
            }
        }
    }
}
