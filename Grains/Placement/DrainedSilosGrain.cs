namespace LockService.Placement;

/// <summary>Keeps the drained silos with the Orleans storage provider, so a drain survives restarts of every silo.</summary>
public sealed class DrainedSilosGrain(
    [PersistentState("drained", LockServiceInfo.StorageProviderName)] IPersistentState<DrainedSilosGrain.DrainRecord> state)
    : Grain, IDrainedSilosGrain
{
    public Task<DrainedSilos> Get() => Task.FromResult(Current);

    public async Task<DrainedSilos> Drain(string endpoint)
    {
        if (!state.State.Endpoints.Contains(endpoint))
        {
            state.State.Endpoints.Add(endpoint);
            await state.WriteStateAsync();
        }

        return Current;
    }

    public async Task<DrainedSilos> Undrain(string endpoint)
    {
        if (state.State.Endpoints.Remove(endpoint))
        {
            await state.WriteStateAsync();
        }

        return Current;
    }

    private DrainedSilos Current => new(state.State.Endpoints.ToArray());

    [GenerateSerializer, Alias("LockService.DrainRecord")]
    public sealed class DrainRecord
    {
        [Id(0)] public List<string> Endpoints { get; set; } = [];
    }
}
