namespace LockService.Hosting;

/// <summary>A replica's own view, for operators (dashboard, lease pages) and tests.</summary>
[GenerateSerializer, Immutable, Alias("LockService.ReplicaStatus")]
public sealed record ReplicaStatus(
    [property: Id(0)] string ReplicaKey,
    [property: Id(1)] string Role,
    [property: Id(2)] long Term,
    [property: Id(3)] int LeaderId,
    [property: Id(4)] long CommitIndex,
    [property: Id(5)] long AppliedIndex,
    [property: Id(6)] long LastIndex,
    [property: Id(7)] string Silo,
    [property: Id(8)] bool Fenced,
    [property: Id(9)] int Sessions,
    [property: Id(10)] int HeldLocks,
    [property: Id(11)] Guid ActivationId);
