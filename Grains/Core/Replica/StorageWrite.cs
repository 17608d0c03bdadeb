using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// One durable write of the replica: a snapshot (installed from the leader, or a compaction of its own), then the
/// entries (replacing any suffix from their first index), then the hard state. The host performs it atomically and
/// answers <see cref="ReplicaCore.WriteFinished"/> or <see cref="ReplicaCore.WriteFailed"/> with its id. At most
/// one is in flight.
/// </summary>
/// <param name="DiscardLog">With a snapshot: drop every entry (an install); otherwise keep those after it (a compaction).</param>
public sealed record StorageWrite(
    long WriteId, HardState? HardState, ReadOnlyMemory<LogEntry> Entries, Snapshot? Snapshot, bool DiscardLog);
