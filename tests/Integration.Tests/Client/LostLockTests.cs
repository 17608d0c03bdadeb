using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// A holder that can no longer renew its session loses its lock: <see cref="LockHandle.LostToken"/> fires, and the
/// service then grants the lock to the next waiter, another client, with a higher fencing token.
/// </summary>
public sealed class LostLockTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan PartitionTtl = TimeSpan.FromSeconds(4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(Partition.Refuse)]
    [InlineData(Partition.BlackHole)]
    public async Task A_client_cut_off_past_its_TTL_loses_its_lock_before_the_service_grants_it_to_a_waiter_with_a_higher_token(Partition partition)
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        PartitionableTransport network = null!;

        // A 2 s safety margin (instead of 100 ms) leaves time to observe, after LostToken fires, that the service
        // still holds the lock for the cut-off client: the client gives up first, the service later.
        var cutOff = extra.Create(
            o => { o.SessionTtl = PartitionTtl; o.LeaseSafetyMargin = TimeSpan.FromSeconds(2); o.KeepAliveInterval = TimeSpan.FromMilliseconds(500); o.CallTimeout = TimeSpan.FromMilliseconds(400); },
            wrap: inner => network = new PartitionableTransport(inner));
        var waiterClient = cluster.LockClient;

        var held = await cutOff.AcquireAsync("cut", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        var alsoHeld = await cutOff.AcquireAsync("cut-other", TimeSpan.FromSeconds(10), cancellationToken: Ct); // same session
        var lost = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        held.LostToken.Register(() => lost.TrySetResult(Stopwatch.GetTimestamp()));
        var waiting = waiterClient.AcquireAsync("cut", TimeSpan.FromSeconds(60), cancellationToken: Ct);
        await Eventually.Until(() => waiterClient.DescribeAsync("cut", Ct), d => d?.Waiters.Count == 1, "the other client queued");

        var cutAt = Stopwatch.GetTimestamp();
        network.Cut(partition);
        var lostAt = await lost.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        // Fired by the client's own lease deadline, within the TTL of the cut (its last acknowledged keepalive was
        // sent before the cut), after keepalives had tried and failed to get through.
        var description = await waiterClient.DescribeAsync("cut", Ct);
        Assert.Equal(LostReason.LeaseDeadlinePassed, held.LostReason);
        Assert.True(Stopwatch.GetElapsedTime(cutAt, lostAt) < PartitionTtl, $"LostToken fired {Stopwatch.GetElapsedTime(cutAt, lostAt)} after the cut");
        Assert.True(network.KeepAlivesStopped > 0, "no keepalive was attempted during the partition");
        await Task.Delay(Timeout.Infinite, alsoHeld.LostToken).ContinueWith(_ => { }, TaskScheduler.Default).WaitAsync(TimeSpan.FromSeconds(5), Ct); // every handle of the session

        // Fired before the service could give the lock to anybody else: the service still knows the cut-off
        // client as the holder, and the waiter still waits.
        Assert.Equal(held.Token, Assert.Single(description!.Holders).Token);
        Assert.Single(description.Waiters);

        // The service expires the session at the end of its TTL and grants the lock to the waiter, higher token.
        var next = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(next.Token > held.Token, $"{next.Token} should exceed {held.Token}");
        Assert.False(next.LostToken.IsCancellationRequested);

        // The lost handle says so, without the network: release throws, dispose does not.
        await Assert.ThrowsAsync<LockSessionLostException>(() => held.ReleaseAsync(Ct));
        await held.DisposeAsync();

        // Healed, the client works again with a new session, and queues behind the new holder.
        network.Heal();
        Assert.False(await cutOff.IsCurrentAsync("cut", held.Token, Ct));
        var again = cutOff.AcquireAsync("cut", TimeSpan.FromSeconds(30), cancellationToken: Ct);
        await Eventually.Until(() => waiterClient.DescribeAsync("cut", Ct), d => d?.Waiters.Count == 1, "the healed client queued");
        await next.ReleaseAsync(Ct);
        var regained = await again;
        Assert.True(regained.Token > next.Token);
        Assert.NotEqual(held.Session.Id, regained.Session.Id);
        await regained.ReleaseAsync(Ct);
    }

    [Fact]
    public async Task A_client_whose_session_the_service_expired_is_told_so_and_fires_LostToken_after_the_waiter_got_a_higher_token()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        await using var clock = new PausableClock();
        var frozen = extra.Create(o => o.SessionTtl = Ttl, time: clock.Time);
        var waiterClient = cluster.LockClient;

        var held = await frozen.AcquireAsync("expired", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        held.LostToken.Register(() => lost.TrySetResult());
        var waiting = waiterClient.AcquireAsync("expired", TimeSpan.FromSeconds(60), cancellationToken: Ct);
        await Eventually.Until(() => waiterClient.DescribeAsync("expired", Ct), d => d?.Waiters.Count == 1, "the other client queued");

        // The holder's process freezes (its clock stops: no keepalive, no lease deadline) past its TTL. The
        // service expires the session and grants the lock to the waiter. The frozen client cannot have noticed:
        // this is the case fencing tokens are for.
        clock.Pause();
        var next = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(next.Token > held.Token, $"{next.Token} should exceed {held.Token}");
        Assert.False(held.LostToken.IsCancellationRequested);

        // It wakes up: its next keepalive hears that the session expired, and LostToken fires.
        clock.Resume();
        await lost.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(LostReason.SessionExpired, held.LostReason);
        Assert.False(await frozen.IsCurrentAsync("expired", held.Token, Ct));
        await Assert.ThrowsAsync<LockSessionLostException>(() => held.ReleaseAsync(Ct));
        await held.DisposeAsync();
        Assert.Equal(next.Token, Assert.Single((await waiterClient.DescribeAsync("expired", Ct))!.Holders).Token);

        // A new session serves the client's next acquire.
        await next.ReleaseAsync(Ct);
        var regained = await frozen.AcquireAsync("expired", TimeSpan.FromSeconds(30), cancellationToken: Ct);
        Assert.True(regained.Token > next.Token);
        Assert.NotEqual(held.Session.Id, regained.Session.Id);
        await regained.ReleaseAsync(Ct);
    }
}
