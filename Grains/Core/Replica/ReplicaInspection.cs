using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// One replica's own view for operators: its Raft position, log and snapshot sizes, and the first locks of its applied
/// state (a follower's may lag the leader's by the entries not yet applied there).
/// </summary>
/// <param name="LeaderId">The replica this one believes leads, or null.</param>
/// <param name="LogEntries">Entries held in the log since the snapshot.</param>
/// <param name="SnapshotBytes">Size of the latest snapshot this replica wrote or installed; 0 for none.</param>
/// <param name="Locks">The first locks in ordinal name order; <paramref name="LockCount"/> says how many there are.</param>
public sealed record ReplicaInspection(
    string Role,
    long Term,
    int? LeaderId,
    long CommitIndex,
    long AppliedIndex,
    long FirstLogIndex,
    long LastLogIndex,
    long LogEntries,
    long SnapshotIndex,
    long SnapshotBytes,
    int Sessions,
    int LockCount,
    long LeaseClockMs,
    IReadOnlyList<LockInspection> Locks,
    string? StopReason);
