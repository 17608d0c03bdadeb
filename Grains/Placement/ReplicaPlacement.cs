using Orleans.Runtime;

namespace LockService.Placement;

/// <summary>
/// Where replica r of group g belongs: the ((g + r) mod n)-th of the n compatible silos in address order. Replicas
/// of one group land on distinct silos whenever n ≥ replicas, and the offset g spreads groups (and so their
/// leaders) over the silos. With fewer silos replicas share silos and move apart again when silos return.
/// </summary>
public static class ReplicaPlacement
{
    public static SiloAddress? DesiredSilo(int group, int replica, IReadOnlyCollection<SiloAddress> silos)
    {
        if (silos.Count == 0)
        {
            return null;
        }

        var ordered = silos.OrderBy(s => s.Endpoint.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(s => s.Endpoint.Port)
            .ThenBy(s => s.Generation)
            .ToArray();
        return ordered[(group + replica) % ordered.Length];
    }
}
