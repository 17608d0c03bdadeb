using LockService.Client;
using LockService.Directory;
using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Placement;
using LockService.Protocol;
using LockService.Raft;

namespace LockService.Integration.Tests.Security;

/// <summary>Only silos speak Raft: a gateway client cannot deliver Raft messages, rewrite the topology, or act as an operator.</summary>
public sealed class SiloOnlyTests(AzuriteFixture azurite)
{
    private const long ForgedTerm = 1_000;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Forged_Raft_messages_from_a_client_change_nothing()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var leader = await cluster.WaitForLeaderAsync();
        var leaderId = LockGroups.ParseReplicaKey(leader.ReplicaKey).Replica;
        var held = await cluster.LockClient.AcquireAsync("forged-deliver", cancellationToken: Ct);
        var before = await cluster.LockClient.DescribeAsync("forged-deliver", Ct);

        // A higher-term append "from the leader" would make a follower adopt term 1000 and depose the real leader;
        // a vote request would start an election; TimeoutNow would hand leadership away; garbage would stop a replica.
        for (var replica = 0; replica < 3; replica++)
        {
            var target = cluster.Replica(0, replica);
            await target.Deliver(RaftCodec.EncodeMessages(
            [
                new AppendEntries(leaderId, replica, ForgedTerm, 0, 0, 0, Array.Empty<LogEntry>()),
                new RequestVote((replica + 1) % 3, replica, ForgedTerm, long.MaxValue / 2, ForgedTerm, PreVote: false, Transfer: true),
                new TimeoutNow(leaderId, replica, leader.Term),
            ]));
            await target.Deliver([RaftCodec.Version, 0xFF, 0xFF, 0xFF, 0xFF, 0x07]);
        }

        // The holder keeps its lock and a new command commits in the same term under the same leader.
        var other = await cluster.LockClient.TryAcquireAsync("forged-deliver-2", cancellationToken: Ct);
        Assert.NotNull(other);
        Assert.Equal(leader.Term, other.Token.Term);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 3).Select(r => cluster.Replica(0, r).Status()));
        Assert.All(statuses, s => Assert.Equal(leader.Term, s.Term));
        Assert.All(statuses, s => Assert.False(s.Fenced));
        var after = await cluster.LockClient.DescribeAsync("forged-deliver", Ct);
        Assert.Equal(before!.Holders.Select(h => h.Token), after!.Holders.Select(h => h.Token));
        Assert.Equal(held.Token, Assert.Single(after.Holders).Token);
    }

    [Fact]
    public async Task A_client_cannot_make_replicas_call_each_other()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();

        // A reach-back makes the replica call its peer: from a client, a lever for traffic between silos.
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => cluster.Replica(0, 0).Touch(1, reachBack: true));
    }

    [Fact]
    public async Task A_client_cannot_rewrite_the_topology_and_gets_a_typed_refusal()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();

        var topology = cluster.Grains.GetGrain<ILockTopologyGrain>(ILockDirectoryGrain.Key);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => topology.Establish(new LockTopology(64, 5)));

        Assert.Equal(new LockTopology(1, 3), await cluster.Grains.GetGrain<ILockDirectoryGrain>(ILockDirectoryGrain.Key).GetTopology());
    }

    [Fact]
    public async Task A_client_cannot_call_the_admin_grains_behind_the_admin_api()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var leader = await cluster.WaitForLeaderAsync();
        var held = await cluster.LockClient.AcquireAsync("admin-bypass", cancellationToken: Ct);

        // The admin API checks LockService:Admin:ApiKey before it calls these; a client declaring the interfaces
        // itself (their aliases are all a call needs) must be refused too, before the grain runs.
        var admin = cluster.Grains.GetGrain<IReplicaAdminGrain>(leader.ReplicaKey);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => admin.ForceRelease("admin-bypass", FencingToken.None));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => admin.TransferLeadership(-1));
        var drained = cluster.Grains.GetGrain<IDrainedSilosGrain>(IDrainedSilosGrain.Key);
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => drained.Drain("127.0.0.1:11111"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => drained.Undrain("127.0.0.1:11111"));

        Assert.Empty((await drained.Get()).Endpoints);
        var after = await cluster.LockClient.DescribeAsync("admin-bypass", Ct);
        Assert.Equal(held.Token, Assert.Single(after!.Holders).Token);
        Assert.False(held.LostToken.IsCancellationRequested);
        var status = await cluster.Replica(0, LockGroups.ParseReplicaKey(leader.ReplicaKey).Replica).Status();
        Assert.Equal(("Leader", leader.Term), (status.Role, status.Term));
        await held.ReleaseAsync(Ct);
    }

    [Theory]
    [InlineData("-1/0")]
    [InlineData("1/0")]
    [InlineData("0/-1")]
    [InlineData("0/3")]
    public async Task Replicas_outside_the_topology_never_activate(string key)
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite, silos: 1);
        await cluster.WaitForLeaderAsync();

        var reply = cluster.Grains.GetGrain<ILockReplicaGrain>(key).Describe("x");

        var refusal = await Assert.ThrowsAnyAsync<Exception>(() => reply);
        Assert.Contains("outside the topology", refusal.ToString());
        await using var handle = await cluster.LockClient.TryAcquireAsync("x", cancellationToken: Ct);
        Assert.NotNull(handle); // the group itself keeps serving
    }
}
