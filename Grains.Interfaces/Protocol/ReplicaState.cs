namespace LockService.Protocol;

/// <summary>
/// One replica's own view, shown by the Orleans dashboard's Grain Details (it calls <c>GetState</c>) and the lease
/// pages: its Raft position, log and snapshot sizes, and the first <see cref="LockCount"/>-bounded locks of its applied
/// state with holders, tokens, remaining session TTLs and waiters. Tokens are text ("term.index") so the dashboard's
/// JSON shows them as users write them.
/// </summary>
/// <param name="Replica">The grain key, <c>"{group}/{replica}"</c>.</param>
/// <param name="LeaderId">The replica this one believes leads, or null.</param>
/// <param name="LogEntries">Entries held in the log since the snapshot (<see cref="FirstLogIndex"/>..<see cref="LastLogIndex"/>).</param>
/// <param name="SnapshotBytes">Size of the latest snapshot this replica wrote or installed; 0 for none.</param>
/// <param name="Locks">At most the first 100 locks in ordinal name order; <see cref="LockCount"/> counts them all.</param>
[GenerateSerializer, Immutable, Alias("LockService.ReplicaState")]
public sealed record ReplicaState(
    [property: Id(0)] string Replica,
    [property: Id(1)] string Role,
    [property: Id(2)] long Term,
    [property: Id(3)] int? LeaderId,
    [property: Id(4)] long CommitIndex,
    [property: Id(5)] long AppliedIndex,
    [property: Id(6)] long FirstLogIndex,
    [property: Id(7)] long LastLogIndex,
    [property: Id(8)] long LogEntries,
    [property: Id(9)] long SnapshotIndex,
    [property: Id(10)] long SnapshotBytes,
    [property: Id(11)] int Sessions,
    [property: Id(12)] int LockCount,
    [property: Id(13)] IReadOnlyList<ReplicaLockState> Locks,
    [property: Id(14)] string Silo,
    [property: Id(15)] string? StopReason);

/// <param name="Kind">"Exclusive", "Shared", "Semaphore(n)", or "Waiting" when nobody holds it yet.</param>
/// <param name="Holders">At most the first 100; <see cref="HolderCount"/> counts them all.</param>
/// <param name="Waiters">At most the first 100 in FIFO order; <see cref="WaiterCount"/> counts them all.</param>
[GenerateSerializer, Immutable, Alias("LockService.ReplicaLockState")]
public sealed record ReplicaLockState(
    [property: Id(0)] string Name,
    [property: Id(1)] string Kind,
    [property: Id(2)] int HolderCount,
    [property: Id(3)] int WaiterCount,
    [property: Id(4)] IReadOnlyList<ReplicaHolderState> Holders,
    [property: Id(5)] IReadOnlyList<ReplicaWaiterState> Waiters);

/// <param name="Token">The fencing token as text, "term.index".</param>
[GenerateSerializer, Immutable, Alias("LockService.ReplicaHolderState")]
public sealed record ReplicaHolderState(
    [property: Id(0)] Guid Session,
    [property: Id(1)] string Mode,
    [property: Id(2)] string Token,
    [property: Id(3)] long SessionRemainingTtlMs);

/// <param name="Request">The waiting request as "client#sequence".</param>
[GenerateSerializer, Immutable, Alias("LockService.ReplicaWaiterState")]
public sealed record ReplicaWaiterState(
    [property: Id(0)] int Position,
    [property: Id(1)] Guid Session,
    [property: Id(2)] string Mode,
    [property: Id(3)] string Request);
