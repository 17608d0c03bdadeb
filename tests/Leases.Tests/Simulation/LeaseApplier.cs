using System.Buffers;
using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A simulated replica's state machine as the checkers see it: a view of the <see cref="LeaseStateMachine"/> that
/// the replica's <see cref="ReplicaCore"/> applies to (the core applies; this only watches, through the core's
/// probe). Its state hash is a hash of the full snapshot bytes (sessions, locks, waiters, client records, clock,
/// position), so the simulator's check "same applied index, same state" compares whole states.
/// </summary>
internal sealed class LeaseApplier : IReplicaApplier
{
    private readonly List<LeaseEvent> events = [];
    private ReplicaCore? core;
    private ulong? hash;

    public LeaseStateMachine Machine => core?.Leases ?? throw new InvalidOperationException("no replica core attached");

    /// <summary>The command and answer of the last applied normal entry (null after a no-op).</summary>
    public LeaseCommand? LastCommand { get; private set; }

    public LeaseResult? LastResult { get; private set; }

    /// <summary>The events of the last applied entry (waits resolved, sessions ended).</summary>
    public IReadOnlyList<LeaseEvent> LastEvents => events;

    public ulong StateHash => hash ??= Hash();

    public void Attach(ReplicaCore replicaCore)
    {
        core = replicaCore;
        Changed(null, null, []);
        Machine.AssertConsistent();
    }

    /// <summary>The core applied an entry (or installed a snapshot: no command).</summary>
    public void Changed(LeaseCommand? command, LeaseResult? result, IReadOnlyList<LeaseEvent> applied)
    {
        hash = null;
        LastCommand = command;
        LastResult = result;
        events.Clear();
        events.AddRange(applied);
    }

    public void Apply(in LogEntry entry) => throw new InvalidOperationException("the replica core applies entries");

    public byte[] TakeSnapshot()
    {
        var writer = new ArrayBufferWriter<byte>();
        Machine.WriteSnapshot(writer);
        return writer.WrittenSpan.ToArray();
    }

    public void Restore(ReadOnlyMemory<byte> snapshot) => throw new InvalidOperationException("the replica core restores snapshots");

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
