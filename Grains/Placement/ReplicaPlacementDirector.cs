using LockService.Protocol;
using LockService.Hosting;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace LockService.Placement;

/// <summary>Chooses the silo of a new replica activation (never a drained one while others are active); see <see cref="ReplicaPlacement"/>.</summary>
public sealed class ReplicaPlacementDirector(DrainView drainView, IClusterMembershipService membership, IOptions<LockServiceOptions> options)
    : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var drained = drainView.Get();
        var silos = drained.Eligible(context.GetCompatibleSilos(target));

        // A replica moving back to its own silo names it (it chose it from the live membership view).
        if (target.RequestContextData is { } data &&
            data.TryGetValue(IPlacementDirector.PlacementHintKey, out var hint) && hint is SiloAddress hinted && silos.Contains(hinted))
        {
            return Task.FromResult(hinted);
        }

        var key = target.GrainIdentity.Key.ToString() ?? "";
        SiloAddress? chosen = null;
        try
        {
            var (group, replica) = LockGroups.ParseReplicaKey(key);
            chosen = ReplicaPlacement.DesiredSilo(
                group, replica, options.Value.ReplicasPerGroup, silos, membership.CurrentSnapshot.Members.Keys, drained);
        }
        catch (FormatException)
        {
            // Not a replica key: fall through to the local silo, as the default placement would.
        }

        return Task.FromResult(chosen ?? context.LocalSilo);
    }
}
