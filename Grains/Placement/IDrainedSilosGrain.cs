namespace LockService.Placement;

/// <summary>The durable list of drained silos (one grain, key <see cref="Key"/>).</summary>
[Alias("LockService.IDrainedSilosGrain")]
public interface IDrainedSilosGrain : IGrainWithStringKey
{
    const string Key = "drained";

    [Alias("Get")]
    Task<DrainedSilos> Get();

    /// <param name="endpoint">The silo endpoint, "address:port".</param>
    /// <remarks>An admin action (the admin API authorizes it): silo-internal, as <see cref="Undrain"/>.</remarks>
    [Alias("Drain")]
    [Security.SiloOnly]
    Task<DrainedSilos> Drain(string endpoint);

    [Alias("Undrain")]
    [Security.SiloOnly]
    Task<DrainedSilos> Undrain(string endpoint);
}
