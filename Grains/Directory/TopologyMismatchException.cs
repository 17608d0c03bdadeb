using LockService.Protocol;

namespace LockService.Directory;

/// <summary>The silo's configured topology differs from the one the cluster was started with.</summary>
[GenerateSerializer, Alias("LockService.TopologyMismatchException")]
public sealed class TopologyMismatchException : Exception
{
    public TopologyMismatchException(LockTopology recorded, LockTopology configured)
        : base($"This cluster was started with {recorded.GroupCount} group(s) of {recorded.ReplicasPerGroup} replicas, but this silo " +
               $"is configured with {configured.GroupCount} group(s) of {configured.ReplicasPerGroup}. Moving a lock to another group " +
               $"would break its fencing-token order, so the topology cannot change: set LockService:GroupCount={recorded.GroupCount} " +
               $"and LockService:ReplicasPerGroup={recorded.ReplicasPerGroup}, or use a new ServiceId with empty storage.")
    {
    }

    public TopologyMismatchException(string message) : base(message)
    {
    }
}
