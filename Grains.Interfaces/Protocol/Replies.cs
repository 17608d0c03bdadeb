using LockService.Client;

namespace LockService.Protocol;

/// <param name="LeaderHint">With <see cref="ReplyStatus.NotLeader"/>: the replica index believed to lead, or -1.</param>
/// <param name="Message">A human-readable explanation for failures; null on success.</param>
[GenerateSerializer, Immutable, Alias("LockService.SessionReply")]
public sealed record SessionReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] Guid SessionId,
    [property: Id(2)] long TtlMs,
    [property: Id(3)] int LeaderHint = -1,
    [property: Id(4)] string? Message = null);

[GenerateSerializer, Immutable, Alias("LockService.AcquireReply")]
public sealed record AcquireReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] FencingToken Token,
    [property: Id(2)] int QueuePosition,
    [property: Id(3)] int LeaderHint = -1,
    [property: Id(4)] string? Message = null);

[GenerateSerializer, Immutable, Alias("LockService.ReleaseReply")]
public sealed record ReleaseReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] int LeaderHint = -1,
    [property: Id(2)] string? Message = null);

[GenerateSerializer, Immutable, Alias("LockService.LockHolderInfo")]
public sealed record LockHolderInfo(
    [property: Id(0)] Guid SessionId,
    [property: Id(1)] LockMode Mode,
    [property: Id(2)] FencingToken Token,
    [property: Id(3)] long SessionRemainingTtlMs);

[GenerateSerializer, Immutable, Alias("LockService.LockWaiterInfo")]
public sealed record LockWaiterInfo(
    [property: Id(0)] Guid SessionId,
    [property: Id(1)] LockMode Mode,
    [property: Id(2)] RequestId Request);

/// <param name="MaxCount">0 for a lock; the number of permits for a semaphore.</param>
[GenerateSerializer, Immutable, Alias("LockService.DescribeReply")]
public sealed record DescribeReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] string Name,
    [property: Id(2)] IReadOnlyList<LockHolderInfo> Holders,
    [property: Id(3)] IReadOnlyList<LockWaiterInfo> Waiters,
    [property: Id(4)] int LeaderHint = -1,
    [property: Id(5)] string? Message = null,
    [property: Id(6)] int MaxCount = 0);

[GenerateSerializer, Immutable, Alias("LockService.IsCurrentReply")]
public sealed record IsCurrentReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] bool IsCurrent,
    [property: Id(2)] int LeaderHint = -1,
    [property: Id(3)] string? Message = null);

/// <param name="MaxCount">0 for a lock; the number of permits for a semaphore.</param>
[GenerateSerializer, Immutable, Alias("LockService.LockSummaryInfo")]
public sealed record LockSummaryInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] int Holders,
    [property: Id(2)] int Waiters,
    [property: Id(3)] LockMode? Mode,
    [property: Id(4)] FencingToken NewestToken,
    [property: Id(5)] int MaxCount = 0);

/// <param name="Continuation">Pass as <c>after</c> to get the next page; null on the last page.</param>
[GenerateSerializer, Immutable, Alias("LockService.ListReply")]
public sealed record ListReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] IReadOnlyList<LockSummaryInfo> Locks,
    [property: Id(2)] string? Continuation,
    [property: Id(3)] int LeaderHint = -1,
    [property: Id(4)] string? Message = null);

/// <summary>How lock names map to Raft groups; fixed for the life of a cluster (moving a lock would break its token order).</summary>
[GenerateSerializer, Immutable, Alias("LockService.LockTopology")]
public sealed record LockTopology([property: Id(0)] int GroupCount, [property: Id(1)] int ReplicasPerGroup);
