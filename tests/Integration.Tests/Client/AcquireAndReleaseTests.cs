using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// The SDK's waiting semantics against a 3-silo cluster: try with and without a timeout, AcquireAsync's timeout,
/// cancellation withdrawing the wait from the service's queue, and idempotent handle disposal.
/// </summary>
public sealed class AcquireAndReleaseTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TryAcquire_with_zero_timeout_takes_a_free_lock_and_answers_null_at_once_for_a_held_one()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        var (first, second) = (cluster.LockClient, extra.Create());

        var held = await first.TryAcquireAsync("try-zero", cancellationToken: Ct);
        Assert.NotNull(held);
        Assert.Equal(LockMode.Exclusive, held.Mode);
        Assert.Equal("try-zero", held.Name);

        var watch = Stopwatch.StartNew();
        Assert.Null(await second.TryAcquireAsync("try-zero", TimeSpan.Zero, cancellationToken: Ct));
        Assert.Null(await first.TryAcquireAsync("try-zero", cancellationToken: Ct)); // not reentrant, even for the holder's client
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"a zero-timeout try took {watch.Elapsed}: it must not wait");
        var info = await first.DescribeAsync("try-zero", Ct);
        Assert.Equal(held.Token, Assert.Single(info!.Holders).Token);
        Assert.Empty(info.Waiters); // a try that does not wait never queues

        await held.ReleaseAsync(Ct);
        var next = await second.TryAcquireAsync("try-zero", cancellationToken: Ct);
        Assert.NotNull(next);
        Assert.True(next.Token > held.Token);
        await next.ReleaseAsync(Ct);
    }

    [Fact]
    public async Task TryAcquire_with_a_timeout_gets_the_lock_released_in_time_or_null_when_it_stays_held_and_AcquireAsync_then_throws_TimeoutException()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        var (holderClient, waiterClient) = (cluster.LockClient, extra.Create());
        var holder = await holderClient.AcquireAsync("try-timeout", TimeSpan.FromSeconds(10), cancellationToken: Ct);

        // Released while the try waits: the try gets it, with a higher token.
        var trying = waiterClient.TryAcquireAsync("try-timeout", TimeSpan.FromSeconds(30), cancellationToken: Ct);
        await Eventually.Until(() => holderClient.DescribeAsync("try-timeout", Ct), d => d?.Waiters.Count == 1, "the try queued");
        await holder.ReleaseAsync(Ct);
        var got = await trying;
        Assert.NotNull(got);
        Assert.True(got.Token > holder.Token);

        // Held past the timeout: null (TryAcquire) or TimeoutException (Acquire), not earlier than the timeout, and
        // the abandoned wait leaves the service's queue.
        var timeout = TimeSpan.FromSeconds(1.5);
        var watch = Stopwatch.StartNew();
        Assert.Null(await holderClient.TryAcquireAsync("try-timeout", timeout, cancellationToken: Ct));
        var tried = watch.Elapsed;
        watch.Restart();
        await Assert.ThrowsAsync<TimeoutException>(() => holderClient.AcquireAsync("try-timeout", timeout, cancellationToken: Ct));
        var acquired = watch.Elapsed;
        Assert.InRange(tried, timeout - TimeSpan.FromMilliseconds(20), timeout + TimeSpan.FromSeconds(10));
        Assert.InRange(acquired, timeout - TimeSpan.FromMilliseconds(20), timeout + TimeSpan.FromSeconds(10));
        await Eventually.Until(() => holderClient.DescribeAsync("try-timeout", Ct), d => d?.Waiters.Count == 0, "the timed-out waits withdrawn");

        // Nobody was granted the lock behind the holder's back: it is still the waiter's grant, and after its
        // release nobody holds it (the timed-out waits were not granted late).
        Assert.Equal(got.Token, Assert.Single((await holderClient.DescribeAsync("try-timeout", Ct))!.Holders).Token);
        await got.ReleaseAsync(Ct);
        Assert.Null(await holderClient.DescribeAsync("try-timeout", Ct));
    }

    [Fact]
    public async Task Cancelling_a_waiting_acquire_withdraws_it_from_the_service_queue_and_the_next_waiter_moves_up()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        var holderClient = cluster.LockClient;
        var (cancelled, patient) = (extra.Create(), extra.Create());
        var holder = await holderClient.AcquireAsync("cancel", TimeSpan.FromSeconds(10), cancellationToken: Ct);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var doomed = cancelled.AcquireAsync("cancel", cancellationToken: cancel.Token); // no timeout: waits until cancelled
        await Eventually.Until(() => holderClient.DescribeAsync("cancel", Ct), d => d?.Waiters.Count == 1, "first waiter queued");
        var behind = patient.AcquireAsync("cancel", TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var queued = await Eventually.Until(() => holderClient.DescribeAsync("cancel", Ct), d => d?.Waiters.Count == 2, "second waiter queued");
        var doomedSession = cancelled.Sessions.LiveSessions().Single().Id;
        var patientSession = patient.Sessions.LiveSessions().Single().Id;
        Assert.Equal([doomedSession, patientSession], queued!.Waiters.Select(w => w.SessionId));

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);

        // The withdrawal runs in the background; only Describe shows it reaching the service.
        var after = await Eventually.Until(() => holderClient.DescribeAsync("cancel", Ct), d => d?.Waiters.Count == 1, "cancelled wait withdrawn");
        var remaining = Assert.Single(after!.Waiters);
        Assert.Equal(patientSession, remaining.SessionId);
        Assert.Equal(0, remaining.Position);

        await holder.ReleaseAsync(Ct);
        var next = await behind;
        Assert.True(next.Token > holder.Token);
        var info = await holderClient.DescribeAsync("cancel", Ct);
        Assert.Equal(next.Token, Assert.Single(info!.Holders).Token); // the cancelled waiter got nothing
        Assert.Empty(info.Waiters);
        Assert.DoesNotContain(doomedSession, info.Holders.Select(h => h.SessionId));
        await next.ReleaseAsync(Ct);
    }

    [Fact]
    public async Task Disposing_a_handle_is_idempotent_and_disposing_after_ReleaseAsync_does_not_throw()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        var locks = cluster.LockClient;

        var first = await locks.AcquireAsync("dispose", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        await first.DisposeAsync();
        await first.DisposeAsync();
        Assert.True(first.IsReleased);
        Assert.False(first.IsLost);
        Assert.False(first.LostToken.IsCancellationRequested); // a normal release is not a loss

        var second = await locks.TryAcquireAsync("dispose", cancellationToken: Ct);
        Assert.NotNull(second); // the double dispose released once and left the lock free...
        Assert.True(second.Token > first.Token);
        await first.DisposeAsync(); // ...and a third dispose of the old handle does not release the new grant
        Assert.Equal(second.Token, Assert.Single((await locks.DescribeAsync("dispose", Ct))!.Holders).Token);

        await second.ReleaseAsync(Ct);
        await second.DisposeAsync();
        await second.ReleaseAsync(Ct); // a release after a successful release does nothing
        Assert.True(second.IsReleased);
        Assert.False(second.LostToken.IsCancellationRequested);
        Assert.Null(await locks.DescribeAsync("dispose", Ct));
    }
}
