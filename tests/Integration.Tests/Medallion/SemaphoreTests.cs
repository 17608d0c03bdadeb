using System.Collections.Concurrent;
using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.Medallion;

/// <summary>
/// Semaphores of N permits on a 3-silo cluster, through Medallion's <see cref="IDistributedSemaphoreProvider"/> and
/// the SDK: never more than N holders, FIFO order, a permit freed when its holder's session expires, a higher token
/// for every permit, and a name used as a lock or a semaphore, never both.
/// </summary>
public sealed class SemaphoreTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Callers_of_several_clients_never_hold_more_than_N_permits_and_every_permit_has_its_own_token()
    {
        const int Permits = 3;
        const int Callers = 12;
        const int Rounds = 10;
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        var hosts = Enumerable.Range(0, 3).Select(_ => MedallionContractTests.Services(cluster)).ToList();
        try
        {
            var inside = 0;
            var most = 0;
            var tokens = new ConcurrentBag<FencingToken>();
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
            {
                var semaphore = hosts[caller % hosts.Count].GetRequiredService<IDistributedSemaphoreProvider>().CreateSemaphore("pool", Permits);
                for (var n = 0; n < Rounds; n++)
                {
                    await using var handle = await semaphore.AcquireAsync(TimeSpan.FromSeconds(60), Ct);
                    tokens.Add(((LockServiceSynchronizationHandle)handle).Token);
                    var now = Interlocked.Increment(ref inside);
                    InterlockedMax(ref most, now);
                    Assert.True(now <= Permits, $"{now} callers inside a semaphore of {Permits} permits");
                    await Task.Delay(10, Ct); // the work done under the permit
                    Interlocked.Decrement(ref inside);
                }
            }, Ct)));

            Assert.True(most <= Permits);
            Assert.True(most > 1, "callers never overlapped; the semaphore was used like a lock, so the check proved little");
            Assert.Equal(Callers * Rounds, tokens.Distinct().Count());
            Assert.Null(await cluster.LockClient.DescribeAsync("pool", Ct)); // every permit released
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Waiters_get_freed_permits_in_the_order_they_queued_with_rising_tokens()
    {
        const int Waiters = 5;
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        var holder = cluster.LockClient;
        var first = await holder.AcquireSemaphoreAsync("fifo", 2, TimeSpan.FromSeconds(10), Ct);
        var second = await holder.AcquireSemaphoreAsync("fifo", 2, TimeSpan.FromSeconds(10), Ct);
        Assert.True(second.Token > first.Token);

        // Each waiter is its own client (process); each queues only after the previous one is in the queue.
        var waits = new List<Task<LockHandle>>();
        foreach (var client in extra.Create(Waiters))
        {
            waits.Add(client.AcquireSemaphoreAsync("fifo", 2, TimeSpan.FromSeconds(60), Ct));
            var queued = waits.Count;
            await Eventually.Until(() => holder.DescribeAsync("fifo", Ct), d => d?.Waiters.Count == queued, $"waiter {queued} queued");
        }

        var info = (await holder.DescribeAsync("fifo", Ct))!;
        Assert.Equal(2, info.MaxCount);
        Assert.Equal(2, info.Holders.Count);

        // Free one permit at a time: the longest waiter gets it, and nobody else.
        var granted = new List<LockHandle>();
        var free = new Queue<LockHandle>([first, second]);
        for (var n = 0; n < Waiters; n++)
        {
            await free.Dequeue().ReleaseAsync(Ct);
            var next = await waits[n].WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.All(waits.Skip(n + 1), w => Assert.False(w.IsCompleted, "a later waiter was served before an earlier one"));
            var now = (await holder.DescribeAsync("fifo", Ct))!; // linearizable: exactly one permit moved
            Assert.Equal(2, now.Holders.Count);
            Assert.Equal(Waiters - n - 1, now.Waiters.Count);
            Assert.Contains(now.Holders, h => h.Token == next.Token);
            granted.Add(next);
            free.Enqueue(next);
        }

        Assert.Equal(granted.Select(h => h.Token).Order(), granted.Select(h => h.Token));
        Assert.True(granted[0].Token > second.Token);
        foreach (var handle in free)
        {
            await handle.ReleaseAsync(Ct);
        }
    }

    [Fact]
    public async Task A_permit_is_freed_when_its_holders_session_expires_after_its_lost_token_fired()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        PartitionableTransport network = null!;
        var cutOff = new LockServiceDistributedSynchronizationProvider(extra.Create(
            o => { o.SessionTtl = TimeSpan.FromSeconds(3); o.KeepAliveInterval = TimeSpan.FromMilliseconds(500); o.CallTimeout = TimeSpan.FromMilliseconds(400); },
            wrap: inner => network = new PartitionableTransport(inner)));
        await using var services = MedallionContractTests.Services(cluster);
        var waiterSemaphore = services.GetRequiredService<IDistributedSemaphoreProvider>().CreateSemaphore("expiring", 1);

        var held = await cutOff.CreateSemaphore("expiring", 1).AcquireAsync(TimeSpan.FromSeconds(10), Ct);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        held.HandleLostToken.Register(() => lost.TrySetResult());
        var waiting = Task.Run(
            async () =>
            {
                var handle = await waiterSemaphore.AcquireAsync(TimeSpan.FromSeconds(60), Ct);
                return (Handle: handle, LostFiredFirst: lost.Task.IsCompleted);
            },
            Ct);
        await Eventually.Until(() => cluster.LockClient.DescribeAsync("expiring", Ct), d => d?.Waiters.Count == 1, "the waiter queued");

        network.Cut(Partition.BlackHole);
        var (next, lostFiredFirst) = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await using var _ = next;
        Assert.True(lostFiredFirst, "the permit went to the waiter before the cut-off holder's lost token fired");
        Assert.True(((LockServiceSynchronizationHandle)next).Token > ((LockServiceSynchronizationHandle)held).Token);
        Assert.Equal(((LockServiceSynchronizationHandle)next).Token, Assert.Single((await cluster.LockClient.DescribeAsync("expiring", Ct))!.Holders).Token);
    }

    [Fact]
    public async Task Using_one_name_as_a_lock_and_a_semaphore_or_with_two_counts_is_a_typed_error_that_changes_nothing()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        var locks = cluster.LockClient;
        await using var permit = await locks.AcquireSemaphoreAsync("mixed", 2, TimeSpan.FromSeconds(10), Ct);
        await using var held = await locks.AcquireAsync("a-lock", TimeSpan.FromSeconds(10), cancellationToken: Ct);

        await Assert.ThrowsAsync<LockKindMismatchException>(() => locks.TryAcquireAsync("mixed", cancellationToken: Ct));
        await Assert.ThrowsAsync<LockKindMismatchException>(() => locks.AcquireAsync("mixed", TimeSpan.FromSeconds(5), LockMode.Shared, Ct));
        await Assert.ThrowsAsync<LockKindMismatchException>(() => locks.TryAcquireSemaphoreAsync("mixed", 3, cancellationToken: Ct));
        await Assert.ThrowsAsync<LockKindMismatchException>(() => locks.TryAcquireSemaphoreAsync("a-lock", 1, TimeSpan.FromSeconds(5), Ct));

        var mixed = (await locks.DescribeAsync("mixed", Ct))!;
        Assert.Equal(2, mixed.MaxCount);
        Assert.Equal(permit.Token, Assert.Single(mixed.Holders).Token);
        Assert.Empty(mixed.Waiters);
        Assert.Equal(0, (await locks.DescribeAsync("a-lock", Ct))!.MaxCount);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }
}
