using LockService.Leases;
using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// The pump: drains the Raft node one Ready at a time. Messages that may go early go at once; what must be durable
/// first becomes one <see cref="StorageWrite"/>, and the rest of the Ready (messages that depend on it, snapshot
/// install, apply, reads, advance) waits for <see cref="WriteFinished"/>. Inputs that arrive meanwhile join the
/// next Ready, so a busy replica writes larger batches, not more of them.
/// </summary>
public sealed partial class ReplicaCore
{
    private HardState _writtenHardState;
    private HardState? _unwrittenHardState;
    private StorageWrite? _writeInFlight;
    private Ready? _readyInFlight;
    private readonly CurrencyGate _gate = new();
    private long _nextWriteId;

    private void Pump(TimeSpan now)
    {
        while (!IsStopped && _writeInFlight is null && _raft.HasReady)
        {
            _probe?.BeforeReady();
            var ready = _raft.GetReady();
            if (ready.SoftState is { } softState)
            {
                _probe?.OnSoftState(softState);
                if (softState.Role != RaftRole.Leader)
                {
                    OnLostLeadership(softState);
                }
            }

            SendOrHold(ready.MessagesBeforePersist, proven: false);
            if (PlanWrite(ready, now) is { } write)
            {
                StartWrite(write);
                _readyInFlight = ready;
                break;
            }

            Complete(ready, now, proven: false);
        }

        MaybeVerify();
    }

    private void StartWrite(StorageWrite write)
    {
        _writeInFlight = write;
        Outbox.Write = write;
        _gate.CoverByWrite();
    }

    /// <summary>
    /// Sends, except what counts toward a quorum without a write that proved this activation current (and does not
    /// merely repeat an acknowledgement already proved).
    /// </summary>
    private void SendOrHold(IReadOnlyList<RaftMessage> messages, bool proven)
    {
        foreach (var message in messages)
        {
            if (proven)
            {
                SendProven(message);
            }
            else if (!CurrencyGate.CountsTowardQuorum(message) || _gate.RepeatsProven(message))
            {
                Outbox.Send(message);
            }
            else
            {
                _gate.Hold(message);
            }
        }
    }

    private void SendProven(RaftMessage message)
    {
        _gate.SentProven(message);
        Outbox.Send(message);
    }

    /// <summary>After each input: a check of this activation's currency covers what is held, one check at a time.</summary>
    private void MaybeVerify()
    {
        if (!IsStopped && _gate.HasHeld && _gate.VerifyInFlight is null)
        {
            var checkId = ++_nextWriteId;
            _gate.StartVerify(checkId);
            Outbox.VerifyCurrent = checkId;
        }
    }

    private void Release(CurrencyGate.Batch batch, TimeSpan now)
    {
        foreach (var message in batch.Messages)
        {
            SendProven(message);
        }

        if (batch.Reads.Count > 0)
        {
            foreach (var read in batch.Reads)
            {
                _reads.OnReadState(read);
            }

            ServeReads(now);
        }
    }

    /// <summary>
    /// What of this Ready must be durable before the rest of it: entries, a snapshot, and term or vote changes. A
    /// change of commit alone waits for the next write (commit is volatile in Raft: a restarted replica learns it
    /// again); term and vote must be durable before anything that depends on them is sent.
    /// </summary>
    private StorageWrite? PlanWrite(Ready ready, TimeSpan now)
    {
        if (ready.HardState is { } latest)
        {
            _unwrittenHardState = latest;
        }

        var entries = ready.EntriesToPersist;
        var mustWriteHardState = _unwrittenHardState is { } pending &&
            (pending.Term != _writtenHardState.Term || pending.VotedFor != _writtenHardState.VotedFor);
        if (ready.Snapshot is null && entries.IsEmpty && !mustWriteHardState)
        {
            return null;
        }

        if (!entries.IsEmpty)
        {
            // The entries reach this replica's log now: the lease clock counts a clock entry from here.
            var span = entries.Span;
            _clock.OnLogTruncated(span[0].Index);
            foreach (ref readonly var entry in span)
            {
                if (entry.Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entry.Data.Span, out var clockMs))
                {
                    _clock.OnEntryAppended(entry.Index, clockMs, now);
                }
            }

            _probe?.OnWriteStarted(span);
        }

        return new StorageWrite(++_nextWriteId, _unwrittenHardState, entries, ready.Snapshot, DiscardLog: true);
    }

    private void OnWriteFinished(TimeSpan now)
    {
        var write = _writeInFlight!;
        _writeInFlight = null;
        if (write.HardState is { } written)
        {
            _writtenHardState = written;
            _unwrittenHardState = null;
        }

        Release(_gate.TakeCoveredByWrite(), now);
        if (_readyInFlight is { } ready)
        {
            _readyInFlight = null;
            Complete(ready, now, proven: true);
        }
    }

    /// <param name="proven">A write of this Ready succeeded: this activation was current after everything in it was produced.</param>
    private void Complete(Ready ready, TimeSpan now, bool proven)
    {
        if (ready.SoftState is { Role: RaftRole.Leader } leading)
        {
            // After the entries of this Ready were reported to the lease clock: a new leader's clock must start from
            // the last clock entry of its log.
            OnBecameLeader(leading, now);
        }

        SendOrHold(ready.MessagesAfterPersist, proven);
        if (ready.Snapshot is { } snapshot)
        {
            InstallSnapshot(snapshot, now);
        }

        Apply(ready.CommittedEntries.Span, now);
        foreach (var read in ready.ReadStates)
        {
            _probe?.OnReadState(read);
            if (proven)
            {
                _reads.OnReadState(read);
            }
            else
            {
                _gate.Hold(read); // the leader's own part of the read quorum
            }
        }

        ServeReads(now);
        _raft.Advance(ready);
        MaybeCompact();
    }

    private void InstallSnapshot(Snapshot snapshot, TimeSpan now)
    {
        _leases = LeaseStateMachine.Restore(snapshot.Data.Span, _options.LeaseLimits);
        _appliedIndex = snapshot.Metadata.LastIncludedIndex;
        _appliedTerm = snapshot.Metadata.LastIncludedTerm;
        _snapshotIndex = _appliedIndex;
        _snapshotBytes = snapshot.Data.Length;
        _clock.OnSnapshotInstalled(_appliedIndex, _leases.ClockMs, now);
        Outbox.Event(new ReplicaEvent.SnapshotInstalled(_appliedIndex));
        _probe?.OnSnapshotInstalled(snapshot);
    }

    private void Apply(ReadOnlySpan<LogEntry> entries, TimeSpan now)
    {
        foreach (ref readonly var entry in entries)
        {
            if (entry.Index <= _appliedIndex)
            {
                continue; // covered by an installed snapshot
            }

            LeaseCommand? command = null;
            LeaseResult? result = null;
            _events.Clear();
            if (entry.Type == EntryType.Normal)
            {
                command = LeaseCommandCodec.Decode(entry.Data.Span);
                result = _leases.Apply(command, entry.Term, entry.Index, _events);
            }

            _appliedIndex = entry.Index;
            _appliedTerm = entry.Term;
            _clock.OnApplied(entry.Index);
            _probe?.OnApplied(entry, command, result, _events);
            OnApplied(entry, result, now);
        }
    }

    private void OnApplied(in LogEntry entry, LeaseResult? result, TimeSpan now)
    {
        if (result is Granted)
        {
            Outbox.Event(ReplicaEvent.Granted.Instance);
        }

        foreach (var leaseEvent in _events)
        {
            switch (leaseEvent)
            {
                case WaitResolved resolved:
                    if (resolved.Answer is Granted)
                    {
                        Outbox.Event(ReplicaEvent.Granted.Instance);
                    }

                    OnWaitResolved(resolved);
                    break;
                case SessionEnded { Expired: true } ended:
                    Outbox.Event(new ReplicaEvent.SessionExpired(ended.Session));
                    break;
            }
        }

        if (_proposals.Remove(entry.Index, out var proposal))
        {
            Outbox.Event(new ReplicaEvent.Committed(now - proposal.ProposedAt));

            // The entry at the proposed index is ours only if its term is the one we proposed in.
            var ours = entry.Term == proposal.Term && result is not null;
            OnProposalOutcome(proposal, ours ? ReplyCode.Ok : ReplyCode.NotLeader, ours ? result : null, now);
        }

        if (_renewals.OnApplied(entry.Index) is { } acknowledged)
        {
            foreach (var keepAlive in acknowledged)
            {
                OnRenewed(keepAlive, renewed: entry.Type == EntryType.Normal);
            }
        }
    }

    private void MaybeCompact()
    {
        if (!CompactionDue() || IsStopped || _writeInFlight is not null)
        {
            return;
        }

        var data = SnapshotBytes();
        var snapshot = new Snapshot(new SnapshotMetadata(_appliedIndex, _appliedTerm), data);
        _raft.Compact(_appliedIndex, data);
        _snapshotIndex = _appliedIndex;
        _snapshotBytes = data.Length;
        StartWrite(new StorageWrite(++_nextWriteId, null, ReadOnlyMemory<LogEntry>.Empty, snapshot, DiscardLog: false));
        Outbox.Event(new ReplicaEvent.Compacted(_appliedIndex, data.Length));
    }

    /// <summary>
    /// Replica r of N compacts at the indices k·every + r·every/N (at least every/2 entries after its last snapshot,
    /// at most every): the replicas of a group then write their snapshots and delete their compacted rows one at a
    /// time. All at once, on one storage account, they held the group's commits up (a 386 ms gap in a chaos run,
    /// every replica's compaction at the same index).
    /// </summary>
    private bool CompactionDue()
    {
        var every = (long)_options.SnapshotEveryEntries;
        var sinceSnapshot = _appliedIndex - _snapshotIndex;
        if (sinceSnapshot >= every)
        {
            return true;
        }

        var phase = every - (_raft.Config.Id * every / _raft.Config.Voters.Count); // in 1..every: keeps the sums positive
        return sinceSnapshot >= Math.Max(1, every / 2) && (_appliedIndex + phase) / every > (_snapshotIndex + phase) / every;
    }
}
