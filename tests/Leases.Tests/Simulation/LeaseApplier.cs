using System.Buffers;
using LockService.Raft;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A simulated replica's state machine: the real <see cref="LeaseStateMachine"/>, fed exactly as the replica grain
/// feeds it (decode a normal entry's payload, apply it at its (term, index); no-ops only move the position). Its
/// state hash is a hash of the full snapshot bytes (sessions, locks, waiters, client records, clock, position), so
/// the simulator's check "same applied index, same state" compares whole states.
/// </summary>
internal sealed class LeaseApplier : IReplicaApplier
{
    private readonly List<LeaseEvent> events = [];
    private ulong? hash;

    public LeaseStateMachine Machine { get; private set; } = new();

    /// <summary>The command and answer of the last applied normal entry (null after a no-op).</summary>
    public LeaseCommand? LastCommand { get; private set; }

    public LeaseResult? LastResult { get; private set; }

    /// <summary>The events of the last applied entry (waits resolved, sessions ended).</summary>
    public IReadOnlyList<LeaseEvent> LastEvents => events;

    public ulong StateHash => hash ??= Hash();

    public void Apply(in LogEntry entry)
    {
        events.Clear();
        hash = null;
        LastCommand = null;
        LastResult = null;
        if (entry.Type == EntryType.Normal)
        {
            LastCommand = LeaseCommandCodec.Decode(entry.Data.Span);
            LastResult = Machine.Apply(LastCommand, entry.Term, entry.Index, events);
        }
    }

    public byte[] TakeSnapshot() => Snapshot();

    public void Restore(ReadOnlyMemory<byte> snapshot)
    {
        Machine = LeaseStateMachine.Restore(snapshot.Span);
        Machine.AssertConsistent();
        events.Clear();
        hash = null;
        LastCommand = null;
        LastResult = null;
    }

    private byte[] Snapshot()
    {
        var writer = new ArrayBufferWriter<byte>();
        Machine.WriteSnapshot(writer);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>FNV-1a over the snapshot bytes (a snapshot is one byte string per state).</summary>
    private ulong Hash()
    {
        var writer = new ArrayBufferWriter<byte>(512);
        Machine.WriteSnapshot(writer);
        var hash = 14695981039346656037UL;
        foreach (var b in writer.WrittenSpan)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }
}
