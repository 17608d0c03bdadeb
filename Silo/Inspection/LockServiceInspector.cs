using LockService.Hosting;
using LockService.Protocol;
using Microsoft.Extensions.Options;

namespace LockService.Silo.Inspection;

/// <summary>What operators see: every group's replicas as they report themselves, and locks read through each leader.</summary>
public sealed class LockServiceInspector(IGrainFactory grains, IOptions<LockServiceOptions> options)
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(2);

    public async Task<IReadOnlyList<GroupView>> GroupsAsync()
    {
        var groups = Enumerable.Range(0, options.Value.GroupCount).Select(GroupAsync);
        return await Task.WhenAll(groups);
    }

    public async Task<GroupView> GroupAsync(int group)
    {
        var replicas = await Task.WhenAll(Enumerable.Range(0, options.Value.ReplicasPerGroup).Select(r => StatusAsync(group, r)));
        var leader = replicas.Where(r => r.Status is { Role: "Leader" }).OrderByDescending(r => r.Status!.Term).FirstOrDefault();
        return new GroupView(group, leader?.Replica, leader?.Status?.Term ?? replicas.Max(r => r.Status?.Term ?? 0), replicas);
    }

    public async Task<ListReply> ListAsync(int group, string prefix, string? after, int limit)
    {
        if (group < 0 || group >= options.Value.GroupCount)
        {
            // Checked before any grain is addressed: a replica key outside the topology must never be activated.
            return new ListReply(ReplyStatus.InvalidArgument, [], null, Message: $"Group {group} does not exist; groups are 0..{options.Value.GroupCount - 1}.");
        }

        var view = await GroupAsync(group);
        return view.Leader is { } leader
            ? await grains.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(group, leader)).List(prefix, after, limit)
            : new ListReply(ReplyStatus.Unavailable, [], null, Message: $"Group {group} has no leader right now.");
    }

    public async Task<DescribeReply> DescribeAsync(string name)
    {
        var group = LockGroups.GroupOf(name, options.Value.GroupCount);
        var view = await GroupAsync(group);
        return view.Leader is { } leader
            ? await grains.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(group, leader)).Describe(name)
            : new DescribeReply(ReplyStatus.Unavailable, name, [], [], Message: $"Group {group} has no leader right now.");
    }

    /// <summary>A replica's own view (what the dashboard's Grain Details shows), or null outside the topology.</summary>
    public async Task<ReplicaState?> ReplicaStateAsync(int group, int replica) =>
        group < 0 || group >= options.Value.GroupCount || replica < 0 || replica >= options.Value.ReplicasPerGroup
            ? null
            : await grains.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(group, replica)).GetState().WaitAsync(StatusTimeout);

    private async Task<ReplicaView> StatusAsync(int group, int replica)
    {
        try
        {
            var status = await grains.GetGrain<IReplicaPeerGrain>(LockGroups.ReplicaKey(group, replica)).Status().WaitAsync(StatusTimeout);
            return new ReplicaView(replica, status, null);
        }
        catch (Exception e)
        {
            return new ReplicaView(replica, null, e.GetType().Name + ": " + e.Message);
        }
    }
}

public sealed record ReplicaView(int Replica, ReplicaStatus? Status, string? Error);

public sealed record GroupView(int Group, int? Leader, long Term, IReadOnlyList<ReplicaView> Replicas);
