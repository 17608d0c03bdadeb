using System.IO.Hashing;
using System.Text;
using Orleans.Runtime;

namespace LockService.Placement;

/// <summary>
/// Where replica r of group g belongs. Every replica has a home: a silo endpoint ("address:port", so a silo keeps its
/// replicas across restarts) chosen by rendezvous hashing over every endpoint in the membership table, dead ones
/// included, with the replicas of one group taking distinct homes. A replica whose home is active lives there; the
/// others fill the active silos holding the fewest replicas of their group.
/// <para>
/// Why homes over the whole table rather than a rank among the active silos: with ranks, one silo's death re-ranks
/// the others, so healthy replicas (leaders too) moved twice per fault, once away and once back, each a stall for
/// clients. With homes, a death moves only the replicas that were on the dead silo, and its return moves only them back.
/// </para>
/// </summary>
public static class ReplicaPlacement
{
    /// <param name="group">The replica's group.</param>
    /// <param name="replica">The replica's index in its group.</param>
    /// <param name="replicasPerGroup">Replicas in every group.</param>
    /// <param name="eligible">The active silos replicas may be placed on now (drained ones already left out).</param>
    /// <param name="known">Every silo in the membership table, whatever its status.</param>
    /// <param name="drained">Drained endpoints, which are nobody's home.</param>
    public static SiloAddress? DesiredSilo(
        int group,
        int replica,
        int replicasPerGroup,
        IReadOnlyCollection<SiloAddress> eligible,
        IEnumerable<SiloAddress> known,
        DrainedSilos drained)
    {
        if (eligible.Count == 0 || replica < 0 || replica >= replicasPerGroup)
        {
            return null;
        }

        // One live silo per endpoint: during a restart the old generation may still be listed as active.
        var live = new SortedDictionary<string, SiloAddress>(StringComparer.Ordinal);
        foreach (var silo in eligible)
        {
            var endpoint = DrainedSilos.EndpointOf(silo);
            if (!live.TryGetValue(endpoint, out var other) || silo.Generation > other.Generation)
            {
                live[endpoint] = silo;
            }
        }

        var universe = known.Select(DrainedSilos.EndpointOf)
            .Where(e => live.ContainsKey(e) || !drained.Endpoints.Contains(e))
            .Concat(live.Keys)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();

        var homes = Homes(group, replicasPerGroup, universe);
        var placed = new string?[replicasPerGroup];
        var load = live.Keys.ToDictionary(e => e, _ => 0, StringComparer.Ordinal);
        for (var r = 0; r < replicasPerGroup; r++)
        {
            if (live.ContainsKey(homes[r]))
            {
                placed[r] = homes[r];
                load[homes[r]]++;
            }
        }

        for (var r = 0; r < replicasPerGroup && placed[replica] is null; r++)
        {
            if (placed[r] is null)
            {
                var r1 = r;
                var chosen = live.Keys
                    .OrderBy(e => load[e])
                    .ThenByDescending(e => Score(group, r1, e))
                    .ThenBy(e => e, StringComparer.Ordinal)
                    .First();
                placed[r] = chosen;
                load[chosen]++;
            }
        }

        return live[placed[replica]!];
    }

    /// <summary>
    /// Each replica's home, in replica order: the endpoint of highest score among those no earlier replica of the
    /// group took (all of them again once every one is taken). A new endpoint takes over only the homes it wins.
    /// </summary>
    private static string[] Homes(int group, int replicasPerGroup, string[] universe)
    {
        var homes = new string[replicasPerGroup];
        var free = new List<string>(universe);
        for (var r = 0; r < replicasPerGroup; r++)
        {
            if (free.Count == 0)
            {
                free.AddRange(universe);
            }

            var r1 = r;
            var home = free.OrderByDescending(e => Score(group, r1, e)).ThenBy(e => e, StringComparer.Ordinal).First();
            homes[r] = home;
            free.Remove(home);
        }

        return homes;
    }

    private static ulong Score(int group, int replica, string endpoint) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes($"{group}/{replica}@{endpoint}"));
}
