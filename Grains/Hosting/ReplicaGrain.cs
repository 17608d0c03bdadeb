using System.Diagnostics;
using LockService.Leases;
using LockService.Placement;
using LockService.Protocol;
using LockService.Raft;
using LockService.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace LockService.Hosting;

/// <summary>
/// One replica of one lock group, keyed <c>"{group}/{replica}"</c>: a thin adapter that feeds the pure Raft core
/// with timer ticks and peer messages, persists what it hands back before sending anything that depends on it,
/// applies committed commands to the pure lease state machine, and answers clients.
/// <para>
/// Reentrant on purpose: all state changes happen synchronously between awaits on the grain's single-threaded
/// scheduler, and one pump at a time persists; so a slow storage write never blocks the peers' messages or the
/// clients' requests, which meanwhile collect into the next batch.
/// </para>
/// </summary>
[Reentrant]
[ReplicaPlacement]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class ReplicaGrain(
    LockServiceStorage storage,
    IOptions<LockServiceOptions> options,
    ReplicaMetrics metrics,
    ILogger<ReplicaGrain> logger) : Grain, ILockReplicaGrain, IReplicaPeerGrain
{
    private readonly LockServiceOptions _options = options.Value;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly Guid _activationId = Guid.NewGuid();
    private readonly Dictionary<long, PendingProposal> _proposals = [];
    private readonly Dictionary<Leases.RequestId, TaskCompletionSource<LeaseResult>> _waitWatchers = [];
    private readonly Dictionary<long, TaskCompletionSource<bool>> _reads = [];
    private readonly List<ReadState> _readsAwaitingApply = [];
    private readonly Dictionary<long, TaskCompletionSource<bool>> _renewalsByTickIndex = [];
    private readonly HashSet<SessionId> _pendingRenewals = [];
    private TaskCompletionSource<bool> _pendingRenewalsAck = NewSignal();
    private readonly List<LeaseEvent> _events = [];

    private int _group;
    private int _replica;
    private string _key = "";
    private ReplicaStore _store = null!;
    private RaftNode _raft = null!;
    private LeaseStateMachine _leases = null!;
    private LeaseClock _clock = null!;
    private IReplicaPeerGrain[] _peers = [];
    private long _appliedIndex;
    private long _appliedTerm;
    private long _leaderCaughtUpIndex = long.MaxValue;
    private HardState _writtenHardState;
    private HardState? _unwrittenHardState;
    private long _snapshotIndex;
    private long _nextReadId;
    private int _ticksSinceClockEntry;
    private bool _pumping;
    private bool _stopped;
    private string? _stopReason;

    private TimeSpan LocalNow => Stopwatch.GetElapsedTime(_startTimestamp);

    /// <summary>Leads and has taken up the lease clock (done in the pump once the term's first Ready is persisted).</summary>
    private bool IsLeader => !_stopped && _raft.Role == RaftRole.Leader && _clock.IsLeader;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_group, _replica) = LockGroups.ParseReplicaKey(_key);
        if (_group >= _options.GroupCount || _replica >= _options.ReplicasPerGroup)
        {
            throw new ArgumentException($"Replica {_key} is outside the topology ({_options.GroupCount} groups of {_options.ReplicasPerGroup}).");
        }

        _peers = Enumerable.Range(0, _options.ReplicasPerGroup)
            .Select(r => GrainFactory.GetGrain<IReplicaPeerGrain>(LockGroups.ReplicaKey(_group, r)))
            .ToArray();

        var (store, durable) = await ReplicaStore.OpenAsync(storage.Log, storage.Snapshots, _key, logger, cancellationToken);
        _store = store;
        Restore(durable);

        this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(_options.TickInterval, _options.TickInterval)
        {
            Interleave = true, // ticks must go on while the grain awaits storage
            KeepAlive = true,
        });

        logger.LogInformation(
            "Replica {ReplicaKey} activated: term {Term}, commit {CommitIndex}, log {FirstIndex}..{LastIndex}, snapshot {SnapshotIndex}",
            _key, _raft.Term, _raft.CommitIndex, durable.FirstIndex, durable.LastIndex, durable.SnapshotIndex);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A draining silo hands leadership to an up-to-date peer first, so clients see no election timeout.
        if (IsLeader && reason.ReasonCode is DeactivationReasonCode.ShuttingDown or DeactivationReasonCode.Migrating)
        {
            var target = Enumerable.Range(0, _options.ReplicasPerGroup).FirstOrDefault(r => r != _replica);
            if (_raft.TransferLeadership(target))
            {
                logger.LogInformation("Replica {ReplicaKey} hands leadership to replica {Target} before deactivating ({Reason})", _key, target, reason.ReasonCode);
                await PumpAsync();
            }
        }

        Stop("deactivated");
    }

    private void Restore(ReplicaDurableState durable)
    {
        var hardState = durable.HardState is null ? default : RaftCodec.DecodeHardState(durable.HardState);

        // The commit index is written lazily; a snapshot only ever covers committed entries.
        if (hardState.Commit < durable.SnapshotIndex)
        {
            hardState = hardState with { Commit = durable.SnapshotIndex };
        }

        _writtenHardState = hardState;
        Raft.Snapshot? snapshot = durable.Snapshot is null
            ? null
            : new Raft.Snapshot(new SnapshotMetadata(durable.SnapshotIndex, durable.SnapshotTerm), durable.Snapshot);
        var entries = durable.Entries.Select(bytes => RaftCodec.DecodeEntries(bytes)[0]).ToArray();

        _leases = snapshot is null ? new LeaseStateMachine() : LeaseStateMachine.Restore(snapshot.Data.Span);
        _appliedIndex = durable.SnapshotIndex;
        _appliedTerm = durable.SnapshotTerm;
        _snapshotIndex = durable.SnapshotIndex;
        _clock = new LeaseClock(_options.ClockRateBound);

        // After a restart the clock entries count from the time of loading: later than their real arrival, so the
        // lease clock can only lag (safe); the downtime itself is not counted. All of them, not only the last: a new
        // leader may still truncate the uncommitted tail (see LeaseClock.OnLogLoaded).
        _clock.OnLogLoaded(snapshot is null ? null : (durable.SnapshotIndex, _leases.ClockMs), ClockEntries(entries), LocalNow);

        var config = new RaftConfig
        {
            Id = _replica,
            Voters = Enumerable.Range(0, _options.ReplicasPerGroup).ToArray(),
            ElectionTimeoutMinTicks = _options.ElectionTimeoutMinTicks,
            ElectionTimeoutMaxTicks = _options.ElectionTimeoutMaxTicks,
            HeartbeatTicks = _options.HeartbeatTicks,
        };
        var random = new Random(Guid.NewGuid().GetHashCode());
        _raft = durable.IsEmpty
            ? new RaftNode(config, random)
            : RaftNode.Restart(config, random, new PersistedState(hardState, snapshot, entries));
    }

    /// <summary>The (index, clock) of every clock-carrying entry, in log order.</summary>
    internal static IEnumerable<(long Index, long ClockMs)> ClockEntries(IReadOnlyList<LogEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entry.Data.Span, out var clockMs))
            {
                yield return (entry.Index, clockMs);
            }
        }
    }

    private async Task OnTimerAsync(CancellationToken cancellationToken)
    {
        if (_stopped)
        {
            return;
        }

        _raft.Tick();
        if (IsLeader)
        {
            ProposeClockTick();
        }

        CheckPlacement();

        await PumpAsync();
    }

    /// <summary>
    /// The leader's one log entry per tick for time: the lease clock value and the keepalives seen since the last
    /// one (keepalives never get an entry each). Skipped while nothing can expire, except for a periodic entry that
    /// keeps the clock of a next leader recent.
    /// </summary>
    private void ProposeClockTick()
    {
        _ticksSinceClockEntry++;
        var needed = _pendingRenewals.Count > 0 || _leases.SessionCount > 0 || _ticksSinceClockEntry >= 20;
        if (!needed || _renewalsByTickIndex.Count >= 4)
        {
            return; // nothing to do, or earlier ticks still uncommitted: do not pile up more
        }

        var renewals = _pendingRenewals.Take(MaxRenewalsPerTick).ToArray();
        var command = new Tick(_clock.NextClockMs(LocalNow), renewals);
        var result = _raft.Propose(LeaseCommandCodec.Encode(command));
        if (!result.IsAccepted)
        {
            return;
        }

        _ticksSinceClockEntry = 0;
        foreach (var session in renewals)
        {
            _pendingRenewals.Remove(session);
        }

        var ack = _pendingRenewalsAck;
        if (_pendingRenewals.Count == 0)
        {
            _pendingRenewalsAck = NewSignal();
        }
        else
        {
            // Sessions left for the next tick must not be acknowledged by this one.
            ack = NewSignal();
        }

        _renewalsByTickIndex[result.Index] = ack;
    }

    private const int MaxRenewalsPerTick = 2048;

    private static TaskCompletionSource<bool> NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Deliver(byte[] batch)
    {
        if (_stopped)
        {
            return Task.CompletedTask;
        }

        foreach (var message in RaftCodec.DecodeMessages(batch))
        {
            if (message.To == _replica)
            {
                _raft.Step(message);
            }
        }

        return PumpAsync();
    }

    public Task<ReplicaStatus> Status() => Task.FromResult(new ReplicaStatus(
        _key,
        _stopped ? "Stopped" : IsLeader ? "Leader" : _raft.Role == RaftRole.Leader ? "TakingOver" : _raft.Role.ToString(),
        _raft.Term,
        _raft.LeaderId ?? -1,
        _raft.CommitIndex,
        _appliedIndex,
        _raft.LastIndex,
        GrainContext.Address.SiloAddress?.ToString() ?? "",
        _stopped,
        _leases.SessionCount,
        _leases.LockCount,
        _activationId));

    /// <summary>
    /// Drains the Raft core: send what may go early, persist, send what depended on it, install and apply, serve
    /// reads, advance. One pump runs at a time; it loops while inputs that arrived meanwhile produced more.
    /// </summary>
    private async Task PumpAsync()
    {
        if (_pumping || _stopped)
        {
            return;
        }

        _pumping = true;
        try
        {
            while (!_stopped && _raft.HasReady)
            {
                var ready = _raft.GetReady();
                var becameLeader = ready.SoftState is { Role: RaftRole.Leader };
                if (ready.SoftState is { } softState && !becameLeader)
                {
                    OnLostLeadership(softState);
                }

                Send(ready.MessagesBeforePersist);
                if (ready.MustPersist)
                {
                    await PersistAsync(ready);
                }

                if (becameLeader)
                {
                    // After the entries of this Ready were reported to the lease clock: a new leader's clock must
                    // start from the last clock entry of its log.
                    OnBecameLeader(ready.SoftState!.Value);
                }

                Send(ready.MessagesAfterPersist);
                if (ready.Snapshot is { } snapshot)
                {
                    InstallSnapshot(snapshot);
                }

                Apply(ready.CommittedEntries.Span);
                _readsAwaitingApply.AddRange(ready.ReadStates);
                ServeReads();
                _raft.Advance(ready);
                await MaybeCompactAsync();
            }
        }
        catch (ReplicaFencedException)
        {
            metrics.Fenced.Add(1, new KeyValuePair<string, object?>("lockservice.replica", _key));
            Stop("fenced: another activation of this replica wrote first");
        }
        catch (Exception e) when (!_stopped)
        {
            // A write whose outcome is unknown leaves memory ahead of storage: only a fresh activation that reloads
            // from storage may act as this replica again.
            logger.LogError(e, "Replica {ReplicaKey} failed to persist or apply; deactivating to reload from storage", _key);
            Stop("storage failure: " + e.Message);
        }
        finally
        {
            _pumping = false;
        }
    }

    private async Task PersistAsync(Ready ready)
    {
        var started = Stopwatch.GetTimestamp();
        var entries = ready.EntriesToPersist;
        if (ready.HardState is { } latest)
        {
            _unwrittenHardState = latest;
        }

        // The commit index is volatile state in Raft (a restarted replica learns it again), so a change of commit
        // alone waits for the next write; term and vote must be durable before anything that depends on them is sent.
        var mustWriteHardState = _unwrittenHardState is { } pending &&
            (pending.Term != _writtenHardState.Term || pending.VotedFor != _writtenHardState.VotedFor);
        if (ready.Snapshot is null && entries.Length == 0 && !mustWriteHardState)
        {
            return;
        }

        var hardState = _unwrittenHardState is { } toWrite ? RaftCodec.EncodeHardState(toWrite) : null;
        if (ready.Snapshot is { } snapshot)
        {
            await _store.SaveSnapshotAsync(
                snapshot.Metadata.LastIncludedIndex, snapshot.Metadata.LastIncludedTerm, snapshot.Data.ToArray(), hardState, discardLog: true);
            hardState = null;
        }

        if (entries.Length > 0 || hardState is not null)
        {
            var encoded = new ReadOnlyMemory<byte>[entries.Length];
            var firstIndex = EncodeForStorage(entries.Span, encoded, LocalNow);
            await _store.SaveAsync(hardState, firstIndex, encoded);
        }

        if (_unwrittenHardState is { } written)
        {
            _writtenHardState = written;
            _unwrittenHardState = null;
        }

        metrics.PersistLatency.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>Encodes entries for the store and tells the lease clock about the clock values they carry.</summary>
    /// <returns>The index of the first entry, or 0 when there are none.</returns>
    private long EncodeForStorage(ReadOnlySpan<LogEntry> entries, ReadOnlyMemory<byte>[] encoded, TimeSpan now)
    {
        if (entries.Length == 0)
        {
            return 0;
        }

        _clock.OnLogTruncated(entries[0].Index);
        for (var i = 0; i < entries.Length; i++)
        {
            encoded[i] = RaftCodec.EncodeEntries(entries.Slice(i, 1));
            if (entries[i].Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entries[i].Data.Span, out var clockMs))
            {
                _clock.OnEntryAppended(entries[i].Index, clockMs, now);
            }
        }

        return entries[0].Index;
    }

    private void InstallSnapshot(Raft.Snapshot snapshot)
    {
        _leases = LeaseStateMachine.Restore(snapshot.Data.Span);
        _appliedIndex = snapshot.Metadata.LastIncludedIndex;
        _appliedTerm = snapshot.Metadata.LastIncludedTerm;
        _snapshotIndex = _appliedIndex;
        _clock.OnSnapshotInstalled(_appliedIndex, _leases.ClockMs, LocalNow);
        logger.LogInformation("Replica {ReplicaKey} installed a snapshot at {SnapshotIndex}", _key, _appliedIndex);
    }

    private void Apply(ReadOnlySpan<LogEntry> entries)
    {
        foreach (var entry in entries)
        {
            if (entry.Index <= _appliedIndex)
            {
                continue; // covered by an installed snapshot
            }

            LeaseResult? result = null;
            if (entry.Type == EntryType.Normal)
            {
                var command = LeaseCommandCodec.Decode(entry.Data.Span);
                _events.Clear();
                result = _leases.Apply(command, entry.Term, entry.Index, _events);
                OnApplied(command, result);
            }

            _appliedIndex = entry.Index;
            _appliedTerm = entry.Term;
            _clock.OnApplied(entry.Index);
            if (_proposals.Remove(entry.Index, out var proposal))
            {
                proposal.Complete(entry.Term, result);
                metrics.CommitLatency.Record(Stopwatch.GetElapsedTime(proposal.StartedTimestamp).TotalMilliseconds);
            }

            if (_renewalsByTickIndex.Remove(entry.Index, out var renewed))
            {
                renewed.TrySetResult(entry.Type == EntryType.Normal);
            }
        }
    }

    private void OnApplied(LeaseCommand command, LeaseResult result)
    {
        if (result is Granted)
        {
            metrics.Grants.Add(1);
        }

        foreach (var leaseEvent in _events)
        {
            switch (leaseEvent)
            {
                case WaitResolved resolved:
                    if (resolved.Answer is Granted)
                    {
                        metrics.Grants.Add(1);
                    }

                    if (_waitWatchers.Remove(resolved.Request, out var watcher))
                    {
                        watcher.TrySetResult(resolved.Answer);
                    }

                    break;
                case SessionEnded { Expired: true } ended:
                    metrics.Expiries.Add(1);
                    logger.LogInformation("Replica {ReplicaKey}: session {SessionId} expired", _key, ended.Session);
                    break;
            }
        }
    }

    private void ServeReads()
    {
        for (var i = _readsAwaitingApply.Count - 1; i >= 0; i--)
        {
            var read = _readsAwaitingApply[i];
            if (read.Index <= _appliedIndex)
            {
                _readsAwaitingApply.RemoveAt(i);
                if (_reads.Remove(read.RequestId, out var signal))
                {
                    signal.TrySetResult(true);
                }
            }
        }
    }

    private async Task MaybeCompactAsync()
    {
        if (_appliedIndex - _snapshotIndex < _options.SnapshotEveryEntries || _stopped)
        {
            return;
        }

        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        _leases.WriteSnapshot(writer);
        var data = writer.WrittenMemory.ToArray();
        var index = _appliedIndex;
        var term = _appliedTerm;

        _raft.Compact(index, data);
        _snapshotIndex = index;
        await _store.SaveSnapshotAsync(index, term, data, null);
        logger.LogInformation("Replica {ReplicaKey} compacted its log up to {SnapshotIndex} ({SnapshotBytes} bytes)", _key, index, data.Length);
    }

    private void OnBecameLeader(SoftState softState)
    {
        if (_clock.IsLeader)
        {
            // Leader again in a newer term without a Ready in between: what waited on the old term cannot be answered.
            FailPending(ReplyStatus.NotLeader);
        }

        _clock.BecomeLeader(LocalNow);
        _leaderCaughtUpIndex = _raft.LastIndex; // this term's no-op: applied, it brings every earlier commit
        _ticksSinceClockEntry = int.MaxValue / 2; // write the clock at once
        metrics.LeaderChanges.Add(1);
        logger.LogInformation("Replica {ReplicaKey} became leader in term {Term}", _key, softState.Term);
    }

    private void OnLostLeadership(SoftState softState)
    {
        if (_clock.IsLeader)
        {
            _clock.StepDown();
            logger.LogInformation("Replica {ReplicaKey} is no longer leader (term {Term}, leader {LeaderId})", _key, softState.Term, softState.LeaderId);
        }

        _leaderCaughtUpIndex = long.MaxValue;
        FailPending(ReplyStatus.NotLeader);
    }

    /// <summary>Fails every waiting request: they were not answered here, so the client retries (exactly-once makes that safe).</summary>
    private void FailPending(ReplyStatus status)
    {
        foreach (var proposal in _proposals.Values)
        {
            proposal.Fail(status);
        }

        _proposals.Clear();
        foreach (var watcher in _waitWatchers.Values)
        {
            watcher.TrySetCanceled();
        }

        _waitWatchers.Clear();
        foreach (var read in _reads.Values)
        {
            read.TrySetResult(false);
        }

        _reads.Clear();
        _readsAwaitingApply.Clear();
        foreach (var renewal in _renewalsByTickIndex.Values)
        {
            renewal.TrySetResult(false);
        }

        _renewalsByTickIndex.Clear();
        _pendingRenewals.Clear();
        _pendingRenewalsAck.TrySetResult(false);
        _pendingRenewalsAck = NewSignal();
    }

    /// <summary>Stops acting as this replica at once (no vote, no append, no answer) and lets a fresh activation reload.</summary>
    private void Stop(string reason)
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        _stopReason = reason;
        FailPending(ReplyStatus.Unavailable);
        logger.LogWarning("Replica {ReplicaKey} stopped acting as the replica: {Reason}", _key, reason);
        DeactivateOnIdle();
    }

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        foreach (var batch in messages.GroupBy(m => m.To))
        {
            try
            {
                // One-way: completes at once; a lost message is Raft's to retry.
                _ = _peers[batch.Key].Deliver(RaftCodec.EncodeMessages(batch.ToList()));
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Replica {ReplicaKey}: send to replica {Peer} failed", _key, batch.Key);
            }
        }
    }
}
