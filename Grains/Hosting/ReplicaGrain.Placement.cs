using LockService.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace LockService.Hosting;

/// <summary>
/// Where this replica belongs, from Orleans' membership view; the decision to move or hand leadership over is the
/// core's (<see cref="Replica.ReplicaCore.PlacementChecked"/>).
/// </summary>
public sealed partial class ReplicaGrain
{
    private SiloAddress? _desiredSilo;

    private void CheckPlacement()
    {
        if (ServiceProvider.GetService(typeof(IClusterMembershipService)) is not IClusterMembershipService membership)
        {
            return;
        }

        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToArray();
        var eligible = ServiceProvider.GetService(typeof(DrainView)) is DrainView drained ? drained.Get().Eligible(active) : active;
        _desiredSilo = ReplicaPlacement.DesiredSilo(_group, _replica, eligible);
        var misplaced = _desiredSilo is not null && !_desiredSilo.Equals(GrainContext.Address.SiloAddress);
        Input(() => _core.PlacementChecked(misplaced, Now));
    }

    private void Move()
    {
        if (_desiredSilo is null)
        {
            return;
        }

        RequestContext.Set(IPlacementDirector.PlacementHintKey, _desiredSilo);
        this.MigrateOnIdle();
    }
}
