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

        var members = membership.CurrentSnapshot.Members.Values;
        var active = members.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToArray();
        var drained = ServiceProvider.GetService(typeof(DrainView)) is DrainView view ? view.Get() : DrainedSilos.None;
        _desiredSilo = ReplicaPlacement.DesiredSilo(
            _group, _replica, _options.ReplicasPerGroup, drained.Eligible(active), members.Select(m => m.SiloAddress), drained);
        var here = GrainContext.Address.SiloAddress;
        var misplaced = _desiredSilo is not null && !_desiredSilo.Equals(here);
        if (here is not null && ServiceProvider.GetService(typeof(SiloArrivals)) is SiloArrivals arrivals)
        {
            arrivals.Observe(active, here);
            misplaced = misplaced && !arrivals.TooSoonToMove(here, _desiredSilo!, _options.MoveInDelay);
        }

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
