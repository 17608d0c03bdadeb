using System.Buffers;
using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// Snapshot: the whole state in a versioned compact binary form (layout in docs/LEASES.md). Clients, sessions and
/// locks are written in creation order and holders and waiters in list order, never in hash-table order, so the
/// same state always gives the same bytes. Nothing derived is written: the deadline heap, per-session lists and
/// counters are rebuilt on restore. No per-lock token high-water mark is needed: every token is the position of
/// its granting entry, and the last applied position is written, so any later grant gets a higher token.
/// </summary>
public sealed partial class LeaseStateMachine
{
    /// <summary>"LSNP": lease snapshot.</summary>
    private static ReadOnlySpan<byte> SnapshotMagic => "LSNP"u8;

    public const byte SnapshotVersion = 1;

    /// <summary>
    /// Version 2 adds each lock's permit count (0 for a lock). It is written only while a semaphore exists, so a
    /// state without semaphores keeps its version-1 bytes (one state, one snapshot; older replicas still read it).
    /// </summary>
    public const byte SemaphoreSnapshotVersion = 2;

    /// <summary>
    /// Version 3 is version 2 (permit counts) plus each remembered answer's command fingerprint. It is written only
    /// while answers are remembered; a state without them keeps its version-1 or -2 bytes.
    /// </summary>
    public const byte FingerprintSnapshotVersion = 3;

    private const int SessionRecordBytes = 16 + 3 * SpanWriter.MaxVarIntBytes;
    private const int EntryRecordBytes = 1 + 6 * SpanWriter.MaxVarIntBytes;

    private enum ResultKind : byte
    {
        Granted = 1,
        Queued = 2,
        Busy = 3,
        Done = 4,
        SessionOpened = 5,
        Ticked = 6,
        Rejected = 7,
    }

    /// <summary>Writes the whole state.</summary>
    public void WriteSnapshot(IBufferWriter<byte> writer) => WriteSnapshot(writer, includePosition: true, includeAnswers: true);

    /// <summary>
    /// Writes the state; tests leave out the applied position or the remembered answers to compare what a
    /// command changed apart from them.
    /// </summary>
    internal void WriteSnapshot(IBufferWriter<byte> writer, bool includePosition, bool includeAnswers)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var head = new SpanWriter(writer.GetSpan(8 + 4 * SpanWriter.MaxVarIntBytes));
        foreach (var b in SnapshotMagic)
        {
            head.WriteByte(b);
        }

        var version = includeAnswers && HasRememberedAnswers() ? FingerprintSnapshotVersion
            : _semaphoreCount > 0 ? SemaphoreSnapshotVersion
            : SnapshotVersion;
        head.WriteByte(version);
        head.WriteVarLong(includePosition ? _term : 0);
        head.WriteVarLong(includePosition ? _index : 0);
        head.WriteVarLong(_clockMs);
        head.WriteVarUInt((ulong)_clientOrder.Count);
        writer.Advance(head.Written);

        var ordinal = 0;
        for (var client = _clientOrder.First; client is not null; client = client.OrderNext)
        {
            client.Ordinal = ordinal++;
            WriteClient(writer, client, includeAnswers, withFingerprints: version >= FingerprintSnapshotVersion);
        }

        WriteCount(writer, _sessionOrder.Count);
        ordinal = 0;
        for (var session = _sessionOrder.First; session is not null; session = session.OrderNext)
        {
            session.Ordinal = ordinal++;
            var output = new SpanWriter(writer.GetSpan(SessionRecordBytes));
            output.WriteUInt128(session.Id.Value);
            output.WriteVarUInt((ulong)session.Client.Ordinal);
            output.WriteVarLong(session.TtlMs);
            output.WriteVarLong(session.LastRenewalMs);
            writer.Advance(output.Written);
        }

        WriteCount(writer, _lockOrder.Count);
        for (var lockState = _lockOrder.First; lockState is not null; lockState = lockState.OrderNext)
        {
            var output = new SpanWriter(writer.GetSpan(SpanWriter.MaxStringBytes(lockState.Name) + 4 * SpanWriter.MaxVarIntBytes));
            output.WriteString(lockState.Name);
            output.WriteVarLong(lockState.DelayUntilMs);
            if (version >= SemaphoreSnapshotVersion)
            {
                output.WriteVarUInt((ulong)lockState.MaxCount);
            }

            output.WriteVarUInt((ulong)lockState.HolderCount);
            output.WriteVarUInt((ulong)lockState.WaiterCount);
            writer.Advance(output.Written);
            for (var entry = lockState.FirstHolder; entry is not null; entry = entry.Next)
            {
                WriteEntry(writer, entry, entry.Token.Term, entry.Token.Index);
            }

            for (var entry = lockState.FirstWaiter; entry is not null; entry = entry.Next)
            {
                WriteEntry(writer, entry, entry.WaitUntilMs, 0);
            }
        }
    }

    /// <summary>Rebuilds a state machine from <see cref="WriteSnapshot(IBufferWriter{byte})"/>'s bytes.</summary>
    /// <exception cref="InvalidDataException">Not a lease snapshot of a known version, or inconsistent.</exception>
    public static LeaseStateMachine Restore(ReadOnlySpan<byte> snapshot, LeaseLimits? limits = null)
    {
        var machine = new LeaseStateMachine(limits);
        var input = new SpanReader(snapshot);
        foreach (var b in SnapshotMagic)
        {
            if (input.ReadByte() != b)
            {
                throw new InvalidDataException("Not a lease snapshot.");
            }
        }

        var version = input.ReadByte();
        if (version is not (SnapshotVersion or SemaphoreSnapshotVersion or FingerprintSnapshotVersion))
        {
            throw new InvalidDataException(
                $"Lease snapshot version {version} is not supported (expected {SnapshotVersion} to {FingerprintSnapshotVersion}).");
        }

        machine._term = input.ReadVarLong();
        machine._index = input.ReadVarLong();
        machine._clockMs = input.ReadVarLong();
        machine.ReadBody(ref input, snapshot.Length, withPermitCounts: version >= SemaphoreSnapshotVersion, withFingerprints: version >= FingerprintSnapshotVersion);
        machine.RebuildPendingPermits();
        input.ExpectEnd();
        return machine;
    }

    private void ReadBody(ref SpanReader input, int maxCount, bool withPermitCounts, bool withFingerprints)
    {
        var clients = new ClientRecord[input.ReadCount(maxCount)];
        _clients.EnsureCapacity(clients.Length);
        for (var i = 0; i < clients.Length; i++)
        {
            var client = new ClientRecord(new ClientId(input.ReadUInt128())) { AnsweredBelow = input.ReadVarUInt() };
            var answers = input.ReadCount(maxCount);
            for (var j = 0; j < answers; j++)
            {
                var sequence = input.ReadVarUInt();
                if (!client.Answers.TryAdd(sequence, ReadResult(ref input)))
                {
                    throw new InvalidDataException("Duplicate answer in snapshot.");
                }

                if (withFingerprints)
                {
                    client.Fingerprints[sequence] = input.ReadVarUInt();
                }
            }

            if (!_clients.TryAdd(client.Id, client))
            {
                throw new InvalidDataException("Duplicate client in snapshot.");
            }

            _clientOrder.Add(client);
            clients[i] = client;
        }

        var sessions = new SessionState[input.ReadCount(maxCount)];
        _sessions.EnsureCapacity(sessions.Length);
        for (var i = 0; i < sessions.Length; i++)
        {
            var id = new SessionId(input.ReadUInt128());
            var client = clients[ReadOrdinal(ref input, clients.Length)];
            var session = new SessionState(id, client, input.ReadVarLong(), input.ReadVarLong());
            if (!_sessions.TryAdd(id, session))
            {
                throw new InvalidDataException("Duplicate session in snapshot.");
            }

            _sessionOrder.Add(session);
            client.SessionCount++;
            _deadlines.Push(new Deadline(session.DeadlineMs, DeadlineKind.Session, session));
            sessions[i] = session;
        }

        var lockCount = input.ReadCount(maxCount);
        _locks.EnsureCapacity(lockCount);
        for (var i = 0; i < lockCount; i++)
        {
            var name = input.ReadString();
            if (_locks.ContainsKey(name))
            {
                throw new InvalidDataException($"Duplicate lock '{name}' in snapshot.");
            }

            var delayUntilMs = input.ReadVarLong();
            var permits = withPermitCounts ? input.ReadVarUInt() : 0;
            if (permits > int.MaxValue)
            {
                throw new InvalidDataException($"Permit count of '{name}' out of range in snapshot.");
            }

            var lockState = CreateLock(name, (int)permits);
            lockState.DelayUntilMs = delayUntilMs;
            var holders = input.ReadCount(maxCount);
            var waiters = input.ReadCount(maxCount);
            for (var j = 0; j < holders + waiters; j++)
            {
                var session = sessions[ReadOrdinal(ref input, sessions.Length)];
                var mode = (LockMode)input.ReadByte();
                var entry = new LockEntry(lockState, session, input.ReadVarUInt(), mode, input.ReadVarLong());
                var first = input.ReadVarLong();
                var second = input.ReadVarLong();
                session.AddEntry(entry);
                if (j < holders)
                {
                    entry.State = EntryState.Holding;
                    entry.Token = new FencingToken(first, second);
                    session.HeldCount++;
                    lockState.AddHolder(entry);
                }
                else
                {
                    entry.WaitUntilMs = first;
                    lockState.AddWaiter(entry);
                    if (first != Acquire.NoWait)
                    {
                        _deadlines.Push(new Deadline(first, DeadlineKind.Wait, entry));
                        _waitDeadlines++;
                    }
                }
            }

            if (lockState.DelayUntilMs != 0)
            {
                _deadlines.Push(new Deadline(lockState.DelayUntilMs, DeadlineKind.LockDelay, lockState));
            }
        }
    }

    private static int ReadOrdinal(ref SpanReader input, int count)
    {
        var ordinal = input.ReadVarUInt();
        return ordinal < (ulong)count ? (int)ordinal : throw new InvalidDataException("Reference out of range in snapshot.");
    }

    private static void WriteCount(IBufferWriter<byte> writer, int count)
    {
        var output = new SpanWriter(writer.GetSpan(SpanWriter.MaxVarIntBytes));
        output.WriteVarUInt((ulong)count);
        writer.Advance(output.Written);
    }

    private bool HasRememberedAnswers()
    {
        for (var client = _clientOrder.First; client is not null; client = client.OrderNext)
        {
            if (client.Answers.Count > 0)
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteClient(IBufferWriter<byte> writer, ClientRecord client, bool includeAnswers, bool withFingerprints)
    {
        var output = new SpanWriter(writer.GetSpan(16 + 2 * SpanWriter.MaxVarIntBytes));
        output.WriteUInt128(client.Id.Value);
        output.WriteVarUInt(client.AnsweredBelow);
        output.WriteVarUInt(includeAnswers ? (ulong)client.Answers.Count : 0);
        writer.Advance(output.Written);
        if (!includeAnswers || client.Answers.Count == 0)
        {
            return;
        }

        // Sorted: a dictionary's order depends on its history, and the bytes must depend only on the state.
        var sequences = client.Answers.Keys.ToArray();
        Array.Sort(sequences);
        foreach (var sequence in sequences)
        {
            WriteResult(writer, sequence, client.Answers[sequence]);
            if (withFingerprints)
            {
                var fingerprint = new SpanWriter(writer.GetSpan(SpanWriter.MaxVarIntBytes));
                fingerprint.WriteVarUInt(client.Fingerprints.GetValueOrDefault(sequence));
                writer.Advance(fingerprint.Written);
            }
        }
    }

    private static void WriteEntry(IBufferWriter<byte> writer, LockEntry entry, long first, long second)
    {
        var output = new SpanWriter(writer.GetSpan(EntryRecordBytes));
        output.WriteVarUInt((ulong)entry.Session.Ordinal);
        output.WriteByte((byte)entry.Mode);
        output.WriteVarUInt(entry.Sequence);
        output.WriteVarLong(entry.LockDelayMs);
        output.WriteVarLong(first);
        output.WriteVarLong(second);
        writer.Advance(output.Written);
    }

    private static void WriteResult(IBufferWriter<byte> writer, ulong sequence, LeaseResult result)
    {
        var message = result is Rejected r ? r.Message : string.Empty;
        var output = new SpanWriter(writer.GetSpan(20 + 4 * SpanWriter.MaxVarIntBytes + SpanWriter.MaxStringBytes(message)));
        output.WriteVarUInt(sequence);
        switch (result)
        {
            case Granted granted:
                output.WriteByte((byte)ResultKind.Granted);
                output.WriteVarLong(granted.Token.Term);
                output.WriteVarLong(granted.Token.Index);
                break;
            case Queued queued:
                output.WriteByte((byte)ResultKind.Queued);
                output.WriteVarLong(queued.Position);
                break;
            case Busy:
                output.WriteByte((byte)ResultKind.Busy);
                break;
            case Done:
                output.WriteByte((byte)ResultKind.Done);
                break;
            case SessionOpened opened:
                output.WriteByte((byte)ResultKind.SessionOpened);
                output.WriteUInt128(opened.Session.Value);
                break;
            case Ticked ticked:
                output.WriteByte((byte)ResultKind.Ticked);
                output.WriteVarLong(ticked.ClockMs);
                output.WriteVarLong(ticked.ExpiredSessions);
                output.WriteVarLong(ticked.ExpiredWaits);
                break;
            case Rejected rejected:
                output.WriteByte((byte)ResultKind.Rejected);
                output.WriteByte((byte)rejected.Code);
                output.WriteByte((byte)rejected.Limit);
                output.WriteString(rejected.Message);
                break;
            default:
                throw new InvalidOperationException($"Unknown result {result.GetType().Name}.");
        }

        writer.Advance(output.Written);
    }

    private static LeaseResult ReadResult(ref SpanReader input) => (ResultKind)input.ReadByte() switch
    {
        ResultKind.Granted => new Granted(new FencingToken(input.ReadVarLong(), input.ReadVarLong())),
        ResultKind.Queued => new Queued((int)input.ReadVarLong()),
        ResultKind.Busy => Busy.Instance,
        ResultKind.Done => Done.Instance,
        ResultKind.SessionOpened => new SessionOpened(new SessionId(input.ReadUInt128())),
        ResultKind.Ticked => new Ticked(input.ReadVarLong(), (int)input.ReadVarLong(), (int)input.ReadVarLong()),
        ResultKind.Rejected => new Rejected((RejectionCode)input.ReadByte(), (LeaseLimit)input.ReadByte(), input.ReadString()),
        var kind => throw new InvalidDataException($"Unknown answer kind {(byte)kind} in snapshot."),
    };
}
