namespace LockService.Placement;

/// <summary>The durable list of drained silos (one grain, key <see cref="Key"/>).</summary>
[Alias("LockService.IDrainedSilosGrain")]
public interface IDrainedSilosGrain : IGrainWithStringKey
{
    const string Key = "drained";

    [Alias("Get")]
    Task<DrainedSilos> Get();

    /// <param name="endpoint">The silo endpoint, "address:port".</param>
    [Alias("Drain")]
    Task<DrainedSilos> Drain(string endpoint);

    [Alias("Undrain")]
    Task<DrainedSilos> Undrain(string endpoint);
}
