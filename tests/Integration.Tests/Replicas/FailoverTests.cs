using LockService.Client;
using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;
using Orleans.TestingHost;

namespace LockService.Integration.Tests.Replicas;

/// <summary>Silo failures and restarts: committed grants survive, tokens keep rising, and the group keeps serving.</summary>
public sealed class FailoverTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killing_the_leaders_silo_elects_a_new_leader_that_keeps_every_committed_grant()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite, silos: 4);
        await cluster.WaitForLeaderAsync();
        var locks = cluster.LockClient;

        var held = new List<LockHandle>();
        for (var i = 0; i < 5; i++)
        {
            held.Add(await locks.AcquireAsync($"before-{i}", TimeSpan.FromSeconds(10), cancellationToken: Ct));
        }

        var leader = await cluster.WaitForLeaderAsync();
        var leaderSilo = cluster.Cluster.Silos.Single(s => s.SiloAddress.ToString() == leader.Silo);
        await cluster.Cluster.KillSiloAsync(leaderSilo, Ct);

        var newLeader = await cluster.WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(30));
        Assert.True(newLeader.Term > leader.Term);

        // Every grant committed before the kill is still there, with the same token.
        foreach (var handle in held)
        {
            Assert.True(await locks.IsCurrentAsync(handle.Name, handle.Token, Ct), $"{handle.Name} lost its grant");
        }

        var after = await locks.AcquireAsync("after", TimeSpan.FromSeconds(20), cancellationToken: Ct);
        Assert.True(after.Token > held.Max(h => h.Token));
        Assert.True(after.Token.Term >= newLeader.Term);

        var again = await locks.TryAcquireAsync("before-0", cancellationToken: Ct);
        Assert.Null(again); // still held: no second holder after failover
    }

    [Fact]
    public async Task Stopping_and_restarting_every_silo_reloads_the_state_without_bootstrapping_again()
    {
        var name = LockServiceCluster.NewName();
        FencingToken token;
        long term;
        await using (var first = await LockServiceCluster.StartAsync(azurite, name: name))
        {
            var leader = await first.WaitForLeaderAsync();
            var (_, replica) = LockGroups.ParseReplicaKey(leader.ReplicaKey);
            var grain = first.ClientReplica(0, replica);
            var client = Guid.NewGuid();
            var session = await grain.OpenSession(new OpenSessionRequest(new RequestId(client, 1), 60_000));
            var granted = await grain.Acquire(new AcquireRequest(new RequestId(client, 2), session.SessionId, "durable", LockMode.Exclusive, 0, 1000));
            Assert.Equal(ReplyStatus.Granted, granted.Status);
            token = granted.Token;
            term = leader.Term;
        }

        await using var second = await LockServiceCluster.StartAsync(azurite, name: name);
        var newLeader = await second.WaitForLeaderAsync();
        Assert.True(newLeader.Term > term, "a restarted group continues its terms; a re-bootstrap would start over");
        Assert.True(newLeader.CommitIndex >= token.Index);

        var (_, r) = LockGroups.ParseReplicaKey(newLeader.ReplicaKey);
        var described = await second.ClientReplica(0, r).Describe("durable");
        Assert.Equal(token, Assert.Single(described.Holders).Token);

        var next = await second.LockClient.AcquireAsync("other", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.True(next.Token > token);
    }

    [Fact]
    public async Task A_silo_started_with_another_group_count_refuses_to_start()
    {
        var name = LockServiceCluster.NewName();
        await using (var first = await LockServiceCluster.StartAsync(azurite, silos: 1, name: name, groupCount: 1))
        {
            await first.WaitForLeaderAsync();
        }

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => LockServiceCluster.StartAsync(azurite, silos: 1, name: name, groupCount: 2));
        Assert.Contains("GroupCount=1", failure.ToString());
    }
}
