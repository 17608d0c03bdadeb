using LockService.Leases;

namespace LockService.Replica;

/// <summary>The replica's state as operators see it (the dashboard's Grain Details, the lease pages).</summary>
public sealed partial class ReplicaCore
{
    /// <summary>How many locks, and holders and waiters per lock, <see cref="Inspect"/> returns at most by default.</summary>
    public const int InspectionLimit = 100;

    /// <summary>A bounded read of this replica's own state: no log entry, no read barrier, nothing changed.</summary>
    public ReplicaInspection Inspect(TimeSpan now, int maxLocks = InspectionLimit, int maxEntriesPerLock = InspectionLimit)
    {
        // A leader measures remaining TTLs on its running lease clock; any other replica on what it has applied.
        var clockMs = IsLeader ? _clock.EstimateMs(now) : _leases.ClockMs;
        return new ReplicaInspection(
            RoleLabel,
            _raft.Term,
            _raft.LeaderId,
            _raft.CommitIndex,
            _appliedIndex,
            _raft.SnapshotIndex + 1,
            _raft.LastIndex,
            _raft.LastIndex - _raft.SnapshotIndex,
            _raft.SnapshotIndex,
            _snapshotBytes,
            _leases.SessionCount,
            _leases.LockCount,
            clockMs,
            _leases.Inspect(maxLocks, maxEntriesPerLock, clockMs),
            StopReason);
    }
}
