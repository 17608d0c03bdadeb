using System.Buffers;
using LockService.Leases;
using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// Every decision of one lock-group replica, with no I/O, clock or threads: the Raft node, the lease state machine
/// and lease clock, open client requests, read barriers, keepalive batching, compaction, leadership transfer and
/// moving for placement. Inputs are events (<see cref="Tick"/>, <see cref="Receive"/>, <see cref="Request(long, ReplicaRequest, TimeSpan)"/>,
/// <see cref="WriteFinished"/>, <see cref="WriteFailed"/>, ...) each carrying the host's monotonic time; each
/// leaves its work in <see cref="Outbox"/> (messages, one storage write at a time, replies by ticket, events) for
/// the host to perform. The replica grain and the simulator are both thin hosts of this one class.
/// <para>
/// Not thread-safe: the host feeds one input at a time. An exception from an input means the core's state can no
/// longer be trusted: the host stops the activation (a fresh one reloads from storage).
/// </para>
/// </summary>
public sealed partial class ReplicaCore
{
    private readonly ReplicaCoreOptions _options;
    private readonly Func<SessionId> _newSessionId;
    private readonly ReplicaProbe? _probe;
    private readonly RaftNode _raft;
    private readonly LeaseClock _clock;
    private readonly Dictionary<long, PendingRequest> _open = [];
    private readonly Dictionary<long, PendingRequest> _proposals = [];
    private readonly WaitWatchers _waitWatchers = new();
    private readonly ReadBarriers _reads = new();
    private readonly RenewalBatcher _renewals = new();
    private readonly List<LeaseEvent> _events = [];
    private readonly List<PendingRequest> _scratch = [];
    private LeaseStateMachine _leases;
    private long _appliedIndex;
    private long _appliedTerm;
    private long _snapshotIndex;
    private long _snapshotBytes;
    private long _leaderCaughtUpIndex = long.MaxValue;
    private int _ticksSinceClockEntry;
    private int _ticksSincePlacementCheck;
    private int _misplacedChecks;

    /// <summary>Restores the replica from what its store holds (empty for a new replica).</summary>
    /// <param name="newSessionId">Session ids: unguessable in production (OS generator), seeded in the simulator.</param>
    public ReplicaCore(
        ReplicaCoreOptions options, RaftConfig config, Random random, PersistedState durable, TimeSpan now,
        Func<SessionId> newSessionId, ReplicaProbe? probe = null)
    {
        _options = options;
        _newSessionId = newSessionId;
        _probe = probe;

        var hardState = Repaired(durable);
        var snapshotIndex = durable.Snapshot?.Metadata.LastIncludedIndex ?? 0;

        _writtenHardState = hardState;
        _leases = durable.Snapshot is { } snapshot ? LeaseStateMachine.Restore(snapshot.Data.Span, options.LeaseLimits) : new LeaseStateMachine(options.LeaseLimits);
        _appliedIndex = snapshotIndex;
        _appliedTerm = durable.Snapshot?.Metadata.LastIncludedTerm ?? 0;
        _snapshotIndex = snapshotIndex;
        _snapshotBytes = durable.Snapshot?.Data.Length ?? 0;
        _clock = new LeaseClock(options.ClockRateBound);

        // After a restart the clock entries count from the time of loading: later than their real arrival, so the
        // lease clock can only lag (safe); the downtime itself is not counted. All of them, not only the last: a new
        // leader may still truncate the uncommitted tail (see LeaseClock.OnLogLoaded).
        _clock.OnLogLoaded(durable.Snapshot is null ? null : (snapshotIndex, _leases.ClockMs), ClockEntries(durable.Entries), now);

        var isEmpty = durable.Snapshot is null && durable.Entries.Count == 0 && durable.HardState == default;
        _raft = isEmpty ? new RaftNode(config, random) : RaftNode.Restart(config, random, durable with { HardState = hardState });
    }

    public ReplicaOutbox Outbox { get; } = new();

    /// <summary>The Raft node (read it; never drive it past the core).</summary>
    public RaftNode Raft => _raft;

    /// <summary>The applied lease state (read it; never apply to it past the core).</summary>
    public LeaseStateMachine Leases => _leases;

    public LeaseClock Clock => _clock;

    public long AppliedIndex => _appliedIndex;

    /// <summary>Leads and has taken up the lease clock (once the term's first Ready is persisted): it serves clients.</summary>
    public bool IsLeader => !IsStopped && _raft.Role == RaftRole.Leader && _clock.IsLeader;

    public bool IsStopped { get; private set; }

    public string? StopReason { get; private set; }

    /// <summary>The role a status page shows.</summary>
    public string RoleLabel => IsStopped ? "Stopped" : IsLeader ? "Leader" : _raft.Role == RaftRole.Leader ? "TakingOver" : _raft.Role.ToString();

    /// <summary>Requests still waiting for an answer (a bounded table: each has a deadline).</summary>
    public int OpenRequests => _open.Count;

    /// <summary>
    /// The hard state to restart from. The commit index is written lazily: a snapshot only ever covers committed
    /// entries, so commit is at least the snapshot's index, and at most the last durable index. A write the store
    /// split over several transactions (a large batch) and that was torn by a crash can leave entries of a newer term
    /// under the older hard state; nothing that depended on that write was sent (the core holds it until the write
    /// finishes), so the replica takes up the entries' term with no vote: it never voted durably in that term, or its
    /// durable term would be it.
    /// </summary>
    public static HardState Repaired(PersistedState durable)
    {
        var hardState = durable.HardState;
        var snapshotIndex = durable.Snapshot?.Metadata.LastIncludedIndex ?? 0;
        var lastIndex = durable.Entries.Count > 0 ? durable.Entries[^1].Index : snapshotIndex;
        var lastTerm = durable.Entries.Count > 0 ? durable.Entries[^1].Term : durable.Snapshot?.Metadata.LastIncludedTerm ?? 0;
        var commit = Math.Min(Math.Max(hardState.Commit, snapshotIndex), lastIndex);
        return lastTerm > hardState.Term
            ? new HardState(lastTerm, null, commit)
            : hardState with { Commit = commit };
    }

    /// <summary>The (index, clock) of every clock-carrying entry, in log order.</summary>
    public static IEnumerable<(long Index, long ClockMs)> ClockEntries(IReadOnlyList<LogEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entry.Data.Span, out var clockMs))
            {
                yield return (entry.Index, clockMs);
            }
        }
    }

    // ---- Inputs ----

    /// <summary>The host's timer: drives Raft's clock, the leader's lease clock entries, request deadlines and placement checks.</summary>
    public void Tick(TimeSpan now)
    {
        if (IsStopped)
        {
            return;
        }

        _raft.Tick();
        if (IsLeader)
        {
            ProposeClockTick(now);
        }

        if (++_ticksSincePlacementCheck >= _options.PlacementCheckTicks)
        {
            _ticksSincePlacementCheck = 0;
            Outbox.CheckPlacement = true;
        }

        ExpireDeadlines(now);
        Pump(now);
    }

    /// <summary>Raft messages from peers (those addressed to another replica are ignored).</summary>
    public void Receive(IReadOnlyList<RaftMessage> messages, TimeSpan now)
    {
        if (IsStopped)
        {
            return;
        }

        foreach (var message in messages)
        {
            if (message.To == _raft.Id)
            {
                _raft.Step(message);
            }
        }

        Pump(now);
    }

    /// <summary>The write with this id is durable.</summary>
    public void WriteFinished(long writeId, TimeSpan now)
    {
        if (IsStopped || _writeInFlight?.WriteId != writeId)
        {
            return;
        }

        OnWriteFinished(now);
        Pump(now);
    }

    /// <summary>
    /// The write with this id was refused (another activation wrote first: fenced) or its outcome is unknown: memory
    /// may be ahead of storage, so only a fresh activation that reloads may act as this replica again.
    /// </summary>
    public void WriteFailed(long writeId, bool fenced, string reason, TimeSpan now)
    {
        if (IsStopped || _writeInFlight?.WriteId != writeId)
        {
            return;
        }

        Stop(fenced ? "fenced: another activation of this replica wrote first" : "storage failure: " + reason, fenced);
    }

    /// <summary>
    /// The answer to <see cref="ReplicaOutbox.VerifyCurrent"/>: true sends what the check covered; false means another
    /// activation wrote since (fenced: stop); null (the check itself failed) drops it (Raft resends what matters).
    /// </summary>
    public void CurrentVerified(long checkId, bool? current, TimeSpan now)
    {
        if (IsStopped || _gate.VerifyInFlight != checkId)
        {
            return;
        }

        var batch = _gate.TakeVerified();
        if (current is false)
        {
            Stop("fenced: another activation of this replica wrote since this one last did", fenced: true);
            return;
        }

        if (current is true)
        {
            Release(batch, now);
        }

        Pump(now);
    }

    /// <summary>The host is deactivating this replica (silo shutdown, migration): a leader hands over first.</summary>
    public void Deactivating(TimeSpan now)
    {
        HandOver("deactivating", now);
    }

    /// <summary>Stops acting as this replica at once (no vote, no append, no answer); pending requests get Unavailable.</summary>
    public void Stop(string reason, bool fenced = false)
    {
        if (IsStopped)
        {
            return;
        }

        IsStopped = true;
        StopReason = reason;
        FailPending(ReplyCode.Unavailable);
        Outbox.Event(new ReplicaEvent.Stopped(reason, fenced));
        Outbox.Stop = reason;
    }

    private void ProposeClockTick(TimeSpan now)
    {
        _ticksSinceClockEntry++;
        if (!ClockEntryNeeded(now) || _renewals.TicksInFlight >= _options.MaxTicksInFlight)
        {
            return; // nothing to do, or earlier ticks still uncommitted: do not pile up more
        }

        var renewals = _renewals.Take(_options.MaxRenewalsPerTick);
        var result = ProposeCommand(new Leases.Tick(_clock.NextClockMs(now), renewals));
        if (!result.IsAccepted)
        {
            return;
        }

        _ticksSinceClockEntry = 0;
        _renewals.OnProposed(result.Index, renewals);
    }

    /// <summary>
    /// A clock entry only when something needs one: renewals to record, a deadline the clock has reached (a session,
    /// a wait, a lock-delay), a semaphore grant deferred to the next Tick, or, while sessions live, the periodic entry
    /// that bounds what a restarted replica's lease clock loses (it counts from its last clock entry's reload). With no
    /// sessions nothing can expire: an idle group writes nothing.
    /// </summary>
    private bool ClockEntryNeeded(TimeSpan now)
    {
        if (_renewals.HasPending || _leases.HasDeferredGrants)
        {
            return true;
        }

        if (_leases.SessionCount > 0 && _ticksSinceClockEntry >= _options.IdleClockEntryTicks)
        {
            return true;
        }

        // A tick in flight will apply first and may already end what is due: wait for it rather than repeat it.
        return _renewals.TicksInFlight == 0 && _leases.NextDeadlineMs is { } deadline && _clock.NextClockMs(now) >= deadline;
    }

    private ProposeResult ProposeCommand(LeaseCommand command)
    {
        var result = _raft.Propose(LeaseCommandCodec.Encode(command));
        _probe?.OnProposed(result, command);
        return result;
    }

    private byte[] SnapshotBytes()
    {
        var writer = new ArrayBufferWriter<byte>();
        _leases.WriteSnapshot(writer);
        return writer.WrittenMemory.ToArray();
    }
}
