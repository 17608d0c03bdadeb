using LockService.Client;
using LockService.Hosting;
using LockService.Placement;
using LockService.Protocol;
using LockService.Silo.Inspection;
using Microsoft.Extensions.Options;

namespace LockService.Silo.Admin;

/// <summary>
/// Operators' actions, after authorization: each goes to the group's leader (following NotLeader hints), and waits
/// for what it can observe (a transfer until the new leader serves). Drains are kept by a grain so every silo sees them.
/// </summary>
public sealed class LockServiceAdmin(
    IGrainFactory grains, LockServiceInspector inspector, DrainView drainView, IOptions<LockServiceOptions> options, ILogger<LockServiceAdmin> logger)
{
    private const int MaxHops = 3;
    private static readonly TimeSpan TransferWait = TimeSpan.FromSeconds(5);

    public async Task<AdminResult> ForceReleaseAsync(string name, FencingToken upTo)
    {
        var group = LockGroups.GroupOf(name, options.Value.GroupCount);
        var reply = await AtLeaderAsync(group, replica => replica.ForceRelease(name, upTo));
        logger.LogWarning("Admin: forced release of {LockName} up to {UpTo}: {Status}", name, upTo, reply?.Status);
        return reply is null ? NoLeader(group) : AdminResult.From(reply, group, name);
    }

    /// <param name="target">A replica of the group, or -1 for any caught-up one.</param>
    public async Task<AdminResult> TransferAsync(int group, int target)
    {
        if (group < 0 || group >= options.Value.GroupCount)
        {
            return new AdminResult(false, "InvalidArgument", $"Group {group} does not exist (0..{options.Value.GroupCount - 1}).", group);
        }

        var before = (await inspector.GroupAsync(group)).Leader;
        var reply = await AtLeaderAsync(group, replica => replica.TransferLeadership(target));
        if (reply is null)
        {
            return NoLeader(group);
        }

        logger.LogInformation("Admin: leadership transfer of group {Group} from {From} to {To}: {Status}", group, before, reply.Target, reply.Status);
        if (reply.Status != ReplyStatus.Ok || reply.Target == before)
        {
            return AdminResult.From(reply, group);
        }

        // Report where leadership is once the target serves (a transfer that stalls is aborted by Raft after an election timeout).
        var deadline = DateTime.UtcNow + TransferWait;
        GroupView view;
        do
        {
            await Task.Delay(100);
            view = await inspector.GroupAsync(group);
        }
        while (view.Leader != reply.Target && DateTime.UtcNow < deadline);

        return view.Leader == reply.Target
            ? new AdminResult(true, "Ok", $"Replica {reply.Target} leads group {group} (term {view.Term}).", group, reply.Target)
            : new AdminResult(false, "Unavailable", $"Replica {reply.Target} did not take over within {TransferWait.TotalSeconds:0} s; leader now: {view.Leader?.ToString() ?? "none"}.", group, view.Leader);
    }

    public async Task<IReadOnlyList<SiloView>> SilosAsync()
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false);
        var drained = await grains.GetGrain<IDrainedSilosGrain>(IDrainedSilosGrain.Key).Get();
        drainView.Set(drained);
        var replicas = (await inspector.GroupsAsync()).SelectMany(g => g.Replicas).Select(r => r.Status).OfType<ReplicaStatus>().ToArray();
        return hosts
            .Where(h => h.Status != SiloStatus.Dead)
            .Select(h =>
            {
                var endpoint = DrainedSilos.EndpointOf(h.SiloAddress);
                var hosted = replicas.Where(r => r.Silo == h.SiloAddress.ToString()).ToArray();
                return new SiloView(endpoint, h.SiloAddress.ToString(), h.SiloName, h.Status.ToString(), drained.Contains(h.SiloAddress), hosted.Length, hosted.Count(r => r.Role == "Leader"));
            })
            .OrderBy(s => s.Endpoint, StringComparer.Ordinal)
            .ToArray();
    }

    /// <param name="endpoint">"address:port" of an active silo (as <see cref="SilosAsync"/> lists them).</param>
    public async Task<DrainResult?> DrainAsync(string endpoint, bool drain)
    {
        var silos = await SilosAsync();
        if (drain && silos.All(s => s.Endpoint != endpoint))
        {
            return null;
        }

        var registry = grains.GetGrain<IDrainedSilosGrain>(IDrainedSilosGrain.Key);
        var drained = drain ? await registry.Drain(endpoint) : await registry.Undrain(endpoint);
        drainView.Set(drained);
        logger.LogWarning("Admin: silo {Silo} {Action}", endpoint, drain ? "drained" : "undrained");
        var remaining = await ReplicasOnAsync(endpoint);
        var message = drain
            ? remaining.Count == 0
                ? $"Silo {endpoint} is drained and hosts no replica."
                : $"Silo {endpoint} is drained: its {remaining.Count} replica(s) move away within seconds, leaders handing over first."
            : $"Silo {endpoint} takes replicas again; they spread back within seconds.";
        return new DrainResult(true, endpoint, drained.Endpoints, remaining, message);
    }

    /// <summary>The replicas (keys) that report themselves on the silo with this endpoint.</summary>
    public async Task<IReadOnlyList<string>> ReplicasOnAsync(string endpoint) =>
        (await inspector.GroupsAsync()).SelectMany(g => g.Replicas).Select(r => r.Status)
            .Where(s => s is not null && s.Silo.TrimStart('S').StartsWith(endpoint + ":", StringComparison.Ordinal))
            .Select(s => s!.ReplicaKey)
            .ToArray();

    private async Task<AdminReply?> AtLeaderAsync(int group, Func<IReplicaAdminGrain, Task<AdminReply>> call)
    {
        var leader = (await inspector.GroupAsync(group)).Leader;
        for (var hop = 0; hop < MaxHops && leader is { } replica; hop++)
        {
            var reply = await call(grains.GetGrain<IReplicaAdminGrain>(LockGroups.ReplicaKey(group, replica)));
            if (reply.Status != ReplyStatus.NotLeader || reply.LeaderHint < 0 || reply.LeaderHint == replica)
            {
                return reply;
            }

            leader = reply.LeaderHint;
        }

        return null;
    }

    private static AdminResult NoLeader(int group) =>
        new(false, "Unavailable", $"Group {group} has no reachable leader right now; retry.", group);
}
