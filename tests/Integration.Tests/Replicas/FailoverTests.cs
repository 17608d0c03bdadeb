using LockService.Client;
using LockService.Hosting;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;
using LockService.Testing;
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

    [Theory]
    [InlineData(5, true)]
    [InlineData(3, false)]
    public async Task A_group_cut_off_from_its_leaders_silo_and_a_followers_elects_among_the_others_only_with_five_replicas(int replicas, bool survives)
    {
        var partition = new RaftPartition();
        await using var cluster = await LockServiceCluster.StartAsync(azurite, silos: replicas, replicasPerGroup: replicas, silo: partition.AddTo);
        await cluster.Probe.WaitForLeaderAsync(spread: true, cancellationToken: Ct);
        var locks = cluster.LockClient;
        var held = new List<LockHandle>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await locks.AcquireAsync($"before-{i}", TimeSpan.FromSeconds(10), cancellationToken: Ct));
        }

        // One replica per silo; cutting two silos off takes two replicas from the group while their silos live on, so
        // nothing is reactivated elsewhere: the others must manage alone, which a majority of five can and one of three cannot.
        var leader = await cluster.Probe.WaitForLeaderAsync(spread: true, cancellationToken: Ct);
        var statuses = (await cluster.Probe.StatusesAsync()).Select(s => s ?? throw new InvalidOperationException("a replica did not answer")).ToArray();
        var follower = statuses.First(s => s.ReplicaKey != leader.ReplicaKey);
        var others = statuses.Where(s => s.ReplicaKey != leader.ReplicaKey && s.ReplicaKey != follower.ReplicaKey).ToDictionary(s => s.ReplicaKey, s => s.ActivationId);
        partition.Isolate(leader.Silo, follower.Silo);

        if (!survives)
        {
            // Elections take 0.3–0.6 s; in 5 s none can find a majority, and no grant can commit.
            await Assert.ThrowsAsync<TimeoutException>(() => cluster.WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(5), aboveTerm: leader.Term));
            using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            giveUp.CancelAfter(TimeSpan.FromSeconds(3));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => locks.TryAcquireAsync("during", cancellationToken: giveUp.Token));
            return;
        }

        var newLeader = await cluster.WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(30), aboveTerm: leader.Term);
        Assert.Contains(newLeader.ReplicaKey, others.Keys);
        var leaderId = LockGroups.ParseReplicaKey(newLeader.ReplicaKey).Replica;
        Assert.Equal(others.Count, (await cluster.Probe.StatusesAsync()).Count(s => s is not null && others.TryGetValue(s.ReplicaKey, out var activation)
            && s.ActivationId == activation && s.Term == newLeader.Term && s.LeaderId == leaderId));

        foreach (var handle in held)
        {
            Assert.True(await locks.IsCurrentAsync(handle.Name, handle.Token, Ct), $"{handle.Name} lost its grant");
        }

        var during = await locks.AcquireAsync("during", TimeSpan.FromSeconds(20), cancellationToken: Ct);
        Assert.True(during.Token > held.Max(h => h.Token));
        Assert.Null(await locks.TryAcquireAsync("before-0", cancellationToken: Ct)); // still held: no second holder

        // Healed, the two cut-off replicas follow the new leader again and catch up with what was committed without them.
        partition.Heal();
        await Eventually.Until(
            () => cluster.Probe.StatusesAsync(),
            all => all.FirstOrDefault(s => s is { Role: "Leader" }) is { } now
                && all.All(s => s is not null && s.Term == now.Term && s.LeaderId == LockGroups.ParseReplicaKey(now.ReplicaKey).Replica && s.CommitIndex >= during.Token.Index),
            "every replica follows one leader and holds the grant made while two were cut off", TimeSpan.FromSeconds(30));
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
