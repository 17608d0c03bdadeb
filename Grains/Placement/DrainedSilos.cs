using Orleans.Runtime;

namespace LockService.Placement;

/// <summary>
/// Silos an operator has drained: replicas are placed elsewhere while any other silo is active, so the replicas on a
/// drained silo move away (a leader hands over first). A silo is named by its silo endpoint, "address:port", so a
/// drain outlives the silo's restarts until it is undone.
/// </summary>
[GenerateSerializer, Immutable, Alias("LockService.DrainedSilos")]
public sealed record DrainedSilos([property: Id(0)] IReadOnlyList<string> Endpoints)
{
    public static DrainedSilos None { get; } = new([]);

    public static string EndpointOf(SiloAddress silo) => $"{silo.Endpoint.Address}:{silo.Endpoint.Port}";

    public bool Contains(SiloAddress silo) => Endpoints.Contains(EndpointOf(silo));

    /// <summary>The silos replicas may be placed on: the undrained ones, or all of them if every one is drained.</summary>
    public IReadOnlyCollection<SiloAddress> Eligible(IReadOnlyCollection<SiloAddress> silos)
    {
        if (Endpoints.Count == 0)
        {
            return silos;
        }

        var undrained = silos.Where(s => !Contains(s)).ToArray();
        return undrained.Length > 0 ? undrained : silos;
    }
}
