using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;
using Orleans.Runtime;

namespace LockService.Integration.Tests.Replicas;

/// <summary>A group of replica grains on three silos: election, commands through the grain API, reads.</summary>
public sealed class ReplicaGroupTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_leader_is_elected_and_grants_locks_with_rising_tokens()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var leader = await cluster.WaitForLeaderAsync();
        var (_, leaderReplica) = LockGroups.ParseReplicaKey(leader.ReplicaKey);
        var grain = cluster.ClientReplica(0, leaderReplica);
        var client = Guid.NewGuid();

        var session = await grain.OpenSession(new OpenSessionRequest(new RequestId(client, 1), 5000));
        Assert.Equal(ReplyStatus.Ok, session.Status);

        var first = await grain.Acquire(new AcquireRequest(new RequestId(client, 2), session.SessionId, "orders", LockMode.Exclusive, 0, 1000));
        Assert.Equal(ReplyStatus.Granted, first.Status);
        Assert.Equal(leader.Term, first.Token.Term);

        var busy = await grain.Acquire(new AcquireRequest(new RequestId(client, 3), session.SessionId, "orders", LockMode.Exclusive, 0, 1000));
        Assert.Equal(ReplyStatus.Busy, busy.Status);

        var released = await grain.Release(new ReleaseRequest(new RequestId(client, 4), session.SessionId, "orders", first.Token));
        Assert.Equal(ReplyStatus.Ok, released.Status);

        var second = await grain.Acquire(new AcquireRequest(new RequestId(client, 5), session.SessionId, "orders", LockMode.Exclusive, 0, 1000));
        Assert.Equal(ReplyStatus.Granted, second.Status);
        Assert.True(second.Token > first.Token, $"{second.Token} should exceed {first.Token}");

        var retried = await grain.Acquire(new AcquireRequest(new RequestId(client, 5), session.SessionId, "orders", LockMode.Exclusive, 0, 1000));
        Assert.Equal(second, retried); // exactly-once: the remembered answer, not a second grant

        Assert.True((await grain.IsCurrent("orders", second.Token)).IsCurrent);
        Assert.False((await grain.IsCurrent("orders", first.Token)).IsCurrent);
        var description = await grain.Describe("orders");
        Assert.Equal(second.Token, Assert.Single(description.Holders).Token);
    }

    [Fact]
    public async Task A_follower_asked_to_forward_passes_the_call_to_its_leader_once()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var leader = await cluster.WaitForLeaderAsync();
        var (_, leaderReplica) = LockGroups.ParseReplicaKey(leader.ReplicaKey);
        var follower = cluster.ClientReplica(0, (leaderReplica + 1) % 3);
        var client = Guid.NewGuid();

        var (session, acquired, again) = await Forwarded(async () =>
        {
            var session = await follower.OpenSession(new OpenSessionRequest(new RequestId(client, 1), 5000));
            var request = new AcquireRequest(new RequestId(client, 2), session.SessionId, "forwarded", LockMode.Exclusive, 0, 1000);
            return (session, await follower.Acquire(request), await follower.Acquire(request));
        });

        Assert.Equal(ReplyStatus.Ok, session.Status);
        Assert.Equal(ReplyStatus.Granted, acquired.Status);
        Assert.Equal(acquired, again); // the leader deduplicates a forwarded request like any other
        var described = await cluster.ClientReplica(0, leaderReplica).Describe("forwarded");
        Assert.Equal(acquired.Token, Assert.Single(described.Holders).Token);

        // Without the request, the follower still only redirects.
        Assert.Equal(ReplyStatus.NotLeader, (await follower.Describe("forwarded")).Status);
    }

    [Fact]
    public async Task An_entry_grain_passes_calls_on_to_the_replica_it_names_with_the_forward_request()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var leader = await cluster.WaitForLeaderAsync();
        var (_, leaderReplica) = LockGroups.ParseReplicaKey(leader.ReplicaKey);
        var followerReplica = (leaderReplica + 1) % 3;
        var client = Guid.NewGuid();
        var entry = cluster.Grains.GetGrain<ILockEntryGrain>(7);

        var session = await entry.OpenSession(0, leaderReplica, new OpenSessionRequest(new RequestId(client, 1), 5000));
        Assert.Equal(ReplyStatus.Ok, session.Status);
        var request = new AcquireRequest(new RequestId(client, 2), session.SessionId, "entry", LockMode.Exclusive, 0, 1000);
        var acquired = await Forwarded(() => entry.Acquire(0, followerReplica, request));
        Assert.Equal(ReplyStatus.Granted, acquired.Status); // the follower forwarded it: the context flowed through the entry
        Assert.Equal(acquired, await cluster.ClientReplica(0, leaderReplica).Acquire(request)); // one grant, remembered

        var described = await cluster.Grains.GetGrain<ILockEntryGrain>(8).Describe(0, leaderReplica, "entry");
        Assert.Equal(acquired.Token, Assert.Single(described.Holders).Token);
        Assert.Equal(ReplyStatus.NotLeader, (await entry.Describe(0, followerReplica, "entry")).Status);

        // An index outside the topology activates nothing.
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => entry.Describe(0, 3, "entry"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => entry.Describe(-1, 0, "entry"));
    }

    private static async Task<T> Forwarded<T>(Func<Task<T>> calls)
    {
        RequestContext.Set(ReplicaCallContext.ForwardToLeader, true);
        try
        {
            return await calls();
        }
        finally
        {
            RequestContext.Remove(ReplicaCallContext.ForwardToLeader);
        }
    }

    [Fact]
    public async Task A_follower_redirects_to_the_leader()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var leader = await cluster.WaitForLeaderAsync();
        var (_, leaderReplica) = LockGroups.ParseReplicaKey(leader.ReplicaKey);
        var follower = cluster.ClientReplica(0, (leaderReplica + 1) % 3);

        var request = new OpenSessionRequest(new RequestId(Guid.NewGuid(), 1), 5000);

        // A follower names only a leader it has heard from in the last 150 ms (-1 otherwise, so that clients probe
        // rather than wait on a silent replica); on a loaded machine a heartbeat can come later than that.
        var reply = await Eventually.Until(
            () => follower.OpenSession(request), r => r.Status != ReplyStatus.NotLeader || r.LeaderHint >= 0, "the follower names a leader");

        Assert.Equal(ReplyStatus.NotLeader, reply.Status);
        Assert.Equal(leaderReplica, reply.LeaderHint);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_a_typed_error_and_changes_nothing()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        var locks = cluster.LockClient;

        await Assert.ThrowsAsync<InvalidLockNameException>(() => locks.TryAcquireAsync("", cancellationToken: Ct));
        await Assert.ThrowsAsync<InvalidLockNameException>(() => locks.TryAcquireAsync(new string('x', 600), cancellationToken: Ct));
        await Assert.ThrowsAsync<InvalidLockNameException>(() => locks.TryAcquireAsync("bad\u0001name", cancellationToken: Ct));

        await using var handle = await locks.AcquireAsync("fine", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.Equal(handle.Token, Assert.Single((await locks.DescribeAsync("fine", Ct))!.Holders).Token);
    }

    [Fact]
    public async Task The_sdk_acquires_waits_in_fifo_order_and_releases()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        var locks = cluster.LockClient;

        var first = await locks.AcquireAsync("fifo", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        Assert.Null(await locks.TryAcquireAsync("fifo", cancellationToken: Ct));

        var order = new List<int>();
        var waiters = new List<Task<LockHandle>>();
        for (var i = 0; i < 3; i++)
        {
            var n = i;
            waiters.Add(Task.Run(async () =>
            {
                var handle = await locks.AcquireAsync("fifo", TimeSpan.FromSeconds(30), cancellationToken: Ct);
                lock (order)
                {
                    order.Add(n);
                }

                await handle.ReleaseAsync(Ct);
                return handle;
            }, Ct));

            // Each waiter must be queued before the next one asks.
            await WaitUntilAsync(async () => (await locks.DescribeAsync("fifo", Ct))?.Waiters.Count == n + 1);
        }

        await first.ReleaseAsync(Ct);
        var handles = await Task.WhenAll(waiters);

        Assert.Equal([0, 1, 2], order);
        var tokens = new[] { first.Token }.Concat(handles.Select(h => h.Token)).ToArray();
        Assert.Equal(tokens.OrderBy(t => t), tokens);
        Assert.Equal(tokens.Length, tokens.Distinct().Count());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in 20 s");
            await Task.Delay(20);
        }
    }
}
