using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;

namespace LockService.Integration.Tests.Security;

/// <summary>What a hostile gateway client sees and does: raw calls to the group's leader, and Describe as it publishes it.</summary>
internal sealed class SecurityProbe(IGrainFactory grains, ILockReplicaGrain leader)
{
    public ILockReplicaGrain Leader { get; private set; } = leader;

    /// <summary>One call to the leader; follows a leader change (NotLeader with a hint) as the SDK would.</summary>
    public async Task<T> Ask<T>(Func<ILockReplicaGrain, Task<T>> call)
        where T : class
    {
        for (var attempt = 0; ; attempt++)
        {
            var reply = await call(Leader);
            dynamic shown = reply;
            var status = (ReplyStatus)shown.Status;
            int hint = shown.LeaderHint;
            if (status is not (ReplyStatus.NotLeader or ReplyStatus.Unavailable) || attempt >= 100)
            {
                return reply;
            }

            if (hint >= 0)
            {
                Leader = grains.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(0, hint));
            }
            else
            {
                await Task.Delay(50, TestContext.Current.CancellationToken); // an election: no event to await from outside
            }
        }
    }

    public static async Task<SecurityProbe> ConnectAsync(LockServiceCluster cluster) => Of(cluster.Grains, await cluster.WaitForLeaderAsync());

    /// <summary>A probe of any cluster (silo processes too), starting at the leader <paramref name="leader"/> reported.</summary>
    public static SecurityProbe Of(IGrainFactory grains, ReplicaStatus leader) =>
        new(grains, grains.GetGrain<ILockReplicaGrain>(leader.ReplicaKey));

    /// <summary>The lock as Describe shows it, without the remaining TTLs (they change as time passes).</summary>
    public async Task<string> ShapeOfAsync(string name)
    {
        var reply = await Ask(g => g.Describe(name));
        Assert.Equal(ReplyStatus.Ok, reply.Status);
        return string.Join(
            "; ",
            reply.Holders.Select(h => $"holder {h.SessionId} {h.Mode} {h.Token}").Concat(reply.Waiters.Select(w => $"waiter {w.SessionId} {w.Mode} {w.Request}")));
    }

    public async Task<int> SessionCountAsync() => (await grains.GetGrain<IReplicaPeerGrain>(Leader.GetPrimaryKeyString()).Status()).Sessions;
}
