using LockService.Protocol;

namespace LockService.Directory;

/// <summary>The durable record of the cluster's lock topology, kept with the Orleans storage provider.</summary>
public sealed class LockDirectoryGrain(
    [PersistentState("topology", LockServiceInfo.StorageProviderName)] IPersistentState<LockDirectoryGrain.TopologyRecord> state)
    : Grain, ILockDirectoryGrain, ILockTopologyGrain
{
    public Task<LockTopology> GetTopology() =>
        state.RecordExists && state.State.Topology is { } topology
            ? Task.FromResult(topology)
            : throw new InvalidOperationException("The lock topology is not recorded yet: no silo has finished starting.");

    public async Task<LockTopology> Establish(LockTopology configured)
    {
        if (state.RecordExists && state.State.Topology is { } recorded)
        {
            return recorded == configured ? recorded : throw new TopologyMismatchException(recorded, configured);
        }

        state.State.Topology = configured;
        await state.WriteStateAsync();
        return configured;
    }

    [GenerateSerializer, Alias("LockService.TopologyRecord")]
    public sealed class TopologyRecord
    {
        [Id(0)] public LockTopology? Topology { get; set; }
    }
}
