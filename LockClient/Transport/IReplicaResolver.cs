using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>Finds the grains of the protocol; the seam that lets tests route over fake replicas.</summary>
internal interface IReplicaResolver
{
    ILockDirectoryGrain Directory();

    ILockReplicaGrain Replica(int group, int replica);

    ILockEntryGrain Entry(long key);
}

/// <summary>Grain references from the Orleans grain factory (the cluster client, or the silo's own factory).</summary>
internal sealed class GrainFactoryResolver(IGrainFactory grains) : IReplicaResolver
{
    public ILockDirectoryGrain Directory() => grains.GetGrain<ILockDirectoryGrain>(ILockDirectoryGrain.Key);

    public ILockReplicaGrain Replica(int group, int replica) => grains.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(group, replica));

    public ILockEntryGrain Entry(long key) => grains.GetGrain<ILockEntryGrain>(key);
}
