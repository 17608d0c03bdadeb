using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;
using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// Many callers contend for one exclusive lock on a 3-silo cluster through the SDK: no update is lost, fencing tokens
/// rise strictly in grant order, waiters are served first come first served, and the Medallion adapter does the same.
/// </summary>
public sealed class MutualExclusionTests(AzuriteFixture azurite)
{
    private const int Callers = 20;
    private const int Iterations = 100;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1)] // one ILockClient shared by every caller, as an application's singleton is
    [InlineData(Callers)] // every caller with its own client, as separate processes are
    public async Task Twenty_callers_incrementing_under_one_lock_lose_no_update_and_see_tokens_rise_in_grant_order(int clientCount)
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        var clients = clientCount == 1 ? [cluster.LockClient] : extra.Create(clientCount).Cast<ILockClient>().ToList();
        var counter = new GuardedCounter();
        var lost = 0;

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var client = clients[caller % clients.Count];
            for (var n = 0; n < Iterations; n++)
            {
                var handle = await client.AcquireAsync("counter", TimeSpan.FromSeconds(60), cancellationToken: Ct);
                await counter.IncrementAsync(handle.Token);
                if (handle.LostToken.IsCancellationRequested)
                {
                    Interlocked.Increment(ref lost);
                }

                await handle.ReleaseAsync(Ct);
            }
        }, Ct)));
        watch.Stop();

        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Callers} callers x {Iterations} on {clients.Count} client(s): {watch.Elapsed.TotalSeconds:0.0} s, {Callers * Iterations / watch.Elapsed.TotalSeconds:0} grants/s; tokens {counter.Entries[0]} .. {counter.Entries[^1]}");
        counter.AssertExclusive(Callers * Iterations);
        Assert.Equal(0, lost);
        Assert.Null(await clients[0].DescribeAsync("counter", Ct)); // every grant released, nobody left waiting
    }

    [Fact]
    public async Task Waiters_are_granted_in_the_order_they_queued_and_nobody_barges_ahead_of_them()
    {
        const int Waiters = 8;
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        var shared = (LockServiceClient)cluster.LockClient;
        LockServiceClient[] pool = [shared, .. extra.Create(3)];
        var holder = await shared.AcquireAsync("fifo", TimeSpan.FromSeconds(10), cancellationToken: Ct);

        // Queue the waiters one by one, from clients in a scrambled order (waiters of one client share its
        // session), each confirmed last in the service's queue before the next one asks.
        var granted = new List<(int Waiter, FencingToken Token)>();
        var waiting = new List<Task>();
        for (var i = 0; i < Waiters; i++)
        {
            var waiter = i;
            var client = pool[i * 3 % pool.Length];
            waiting.Add(Task.Run(async () =>
            {
                var handle = await client.AcquireAsync("fifo", TimeSpan.FromSeconds(60), cancellationToken: Ct);
                lock (granted)
                {
                    granted.Add((waiter, handle.Token));
                }

                await Task.Delay(20, Ct); // hold it a moment: a window for anyone trying to barge in
                await handle.ReleaseAsync(Ct);
            }, Ct));

            var info = await Eventually.Until(
                () => shared.DescribeAsync("fifo", Ct), d => d?.Waiters.Count == waiter + 1, $"waiter {waiter} queued");
            Assert.Equal(client.Sessions.LiveSessions().Single().Id, info!.Waiters[waiter].SessionId);
        }

        // Somebody else tries without waiting, over and over, while the queue drains: a lock handed straight from
        // each holder to the next waiter leaves no gap for it.
        var barger = extra.Create();
        var bargerGrants = new List<FencingToken>();
        var refusedWhileQueued = 0;
        var drained = Task.WhenAll(waiting);
        await holder.ReleaseAsync(Ct);
        while (!drained.IsCompleted)
        {
            var handle = await barger.TryAcquireAsync("fifo", cancellationToken: Ct);
            if (handle is null)
            {
                lock (granted)
                {
                    refusedWhileQueued += granted.Count < Waiters ? 1 : 0;
                }

                continue;
            }

            bargerGrants.Add(handle.Token);
            await handle.ReleaseAsync(Ct);
        }

        await drained;
        Assert.Equal(Enumerable.Range(0, Waiters), granted.Select(g => g.Waiter));
        var tokens = granted.Select(g => g.Token).Prepend(holder.Token).ToList();
        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.True(refusedWhileQueued > 0, "the barger never tried while waiters were queued; the check proved nothing");
        Assert.All(bargerGrants, t => Assert.True(t > tokens[^1], $"the barger got token {t} before the last waiter's {tokens[^1]}"));
    }

    [Fact]
    public async Task The_Medallion_adapter_gives_the_same_mutual_exclusion()
    {
        const int Providers = 2;
        const int CallersPerProvider = 4;
        const int Rounds = 25;
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();

        // Each provider is registered as an application would (one registration), with its own ILockClient.
        var hosts = Enumerable.Range(0, Providers).Select(_ => new ServiceCollection()
            .AddSingleton<IGrainFactory>(cluster.Cluster.Client)
            .AddLockServiceDistributedLocks(o => o.SessionTtl = TimeSpan.FromSeconds(5))
            .BuildServiceProvider()).ToList();
        try
        {
            var counter = new GuardedCounter();
            var lost = 0;
            await Task.WhenAll(hosts.SelectMany(host => Enumerable.Range(0, CallersPerProvider).Select(_ => Task.Run(async () =>
            {
                var @lock = host.GetRequiredService<IDistributedLockProvider>().CreateLock("medallion");
                for (var n = 0; n < Rounds; n++)
                {
                    await using var handle = await @lock.AcquireAsync(TimeSpan.FromSeconds(60), Ct);
                    await counter.IncrementAsync(((LockServiceSynchronizationHandle)handle).Token);
                    if (handle.HandleLostToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref lost);
                    }
                }
            }, Ct))));

            counter.AssertExclusive(Providers * CallersPerProvider * Rounds);
            Assert.Equal(0, lost);
            Assert.Null(await cluster.LockClient.DescribeAsync("medallion", Ct));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }
}
