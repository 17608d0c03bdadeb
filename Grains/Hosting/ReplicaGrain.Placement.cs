using Microsoft.Extensions.Logging;
using LockService.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace LockService.Hosting;

/// <summary>Moves a replica back to its own silo when silos return, so one silo failure never takes a majority.</summary>
public sealed partial class ReplicaGrain
{
    private const int PlacementCheckTicks = 20;
    private const int MisplacedChecksBeforeMove = 3;
    private int _ticksSincePlacementCheck;
    private int _misplacedChecks;

    private void CheckPlacement()
    {
        if (++_ticksSincePlacementCheck < PlacementCheckTicks || _stopped)
        {
            return;
        }

        _ticksSincePlacementCheck = 0;
        var membership = ServiceProvider.GetService(typeof(IClusterMembershipService)) as IClusterMembershipService;
        if (membership is null)
        {
            return;
        }

        var active = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToArray();
        var desired = ReplicaPlacement.DesiredSilo(_group, _replica, active);
        if (desired is null || desired.Equals(GrainContext.Address.SiloAddress))
        {
            _misplacedChecks = 0;
            return;
        }

        // Wait until the membership view is stable for a few checks: flapping silos must not cause moves. A leader
        // waits twice as long, so misplaced followers move first and it hands leadership to a settled replica
        // rather than to one that is about to move too.
        if (++_misplacedChecks < (IsLeader ? 2 * MisplacedChecksBeforeMove : MisplacedChecksBeforeMove))
        {
            return;
        }

        _misplacedChecks = 0;
        if (IsLeader)
        {
            var target = Enumerable.Range(0, _options.ReplicasPerGroup).First(r => r != _replica);
            logger.LogInformation("Replica {ReplicaKey} belongs on {DesiredSilo}: handing leadership to replica {Target} before moving", _key, desired, target);
            _raft.TransferLeadership(target);
            return;
        }

        logger.LogInformation("Replica {ReplicaKey} moves from {CurrentSilo} to {DesiredSilo}", _key, GrainContext.Address.SiloAddress, desired);
        RequestContext.Set(IPlacementDirector.PlacementHintKey, desired);
        this.MigrateOnIdle();
    }
}
