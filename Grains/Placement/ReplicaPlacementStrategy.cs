using Orleans.Placement;

namespace LockService.Placement;

/// <summary>Places the replicas of a lock group on distinct silos while there are enough silos.</summary>
[GenerateSerializer, Immutable, Alias("LockService.ReplicaPlacementStrategy")]
public sealed class ReplicaPlacementStrategy : PlacementStrategy
{
    public static ReplicaPlacementStrategy Instance { get; } = new();
}

/// <summary>Marks a grain class keyed <c>"{group}/{replica}"</c> for <see cref="ReplicaPlacementStrategy"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ReplicaPlacementAttribute() : PlacementAttribute(ReplicaPlacementStrategy.Instance);
