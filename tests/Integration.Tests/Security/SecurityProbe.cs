using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;

namespace LockService.Integration.Tests.Security;

/// <summary>What a hostile gateway client sees and does: raw calls to the group's leader, and Describe as it publishes it.</summary>
internal sealed class SecurityProbe(LockServiceCluster cluster, ILockReplicaGrain leader)
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
                Leader = cluster.ClientReplica(0, hint);
            }
            else
            {
                await Task.Delay(50, TestContext.Current.CancellationToken); // an election: no event to await from outside
            }
        }
    }

    public static async Task<SecurityProbe> ConnectAsync(LockServiceCluster cluster)
    {
        var status = await cluster.WaitForLeaderAsync();
        return new SecurityProbe(cluster, cluster.ClientReplica(0, LockGroups.ParseReplicaKey(status.ReplicaKey).Replica));
    }

    /// <summary>The lock as Describe shows it, without the remaining TTLs (they change as time passes).</summary>
    public async Task<string> ShapeOfAsync(string name)
    {
        var reply = await Ask(g => g.Describe(name));
        Assert.Equal(ReplyStatus.Ok, reply.Status);
        return string.Join(
            "; ",
            reply.Holders.Select(h => $"holder {h.SessionId} {h.Mode} {h.Token}").Concat(reply.Waiters.Select(w => $"waiter {w.SessionId} {w.Mode} {w.Request}")));
    }

    public async Task<int> SessionCountAsync() => (await cluster.Replica(0, LockGroups.ParseReplicaKey(Leader.GetPrimaryKeyString()).Replica).Status()).Sessions;
}
