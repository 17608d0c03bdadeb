using LockService.Silo.Inspection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace LockService.Silo.Health;

/// <summary>
/// Ready when this silo is an active member of the cluster and every group with a replica on this silo has a leader
/// that answers: a load balancer or Kubernetes then sends clients only to silos that can serve them.
/// </summary>
public sealed class ClusterReadinessCheck(
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    LockServiceInspector inspector) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var self = localSilo.SiloAddress;
        var status = membership.CurrentSnapshot.GetSiloStatus(self);
        if (status != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"Silo {self} is {status} in the cluster, not Active.");
        }

        var groups = await inspector.GroupsAsync();
        var here = self.ToString();
        var leaderless = groups
            .Where(group => group.Replicas.Any(replica => replica.Status?.Silo == here) && group.Leader is null)
            .Select(group => group.Group)
            .ToList();
        var data = new Dictionary<string, object>
        {
            ["silo"] = here,
            ["groupsHostedHere"] = groups.Count(group => group.Replicas.Any(replica => replica.Status?.Silo == here)),
        };
        return leaderless.Count == 0
            ? HealthCheckResult.Healthy("Active in the cluster; every group hosted here has a leader.", data)
            : HealthCheckResult.Unhealthy($"Groups without a reachable leader: {string.Join(", ", leaderless)}.", data: data);
    }
}
