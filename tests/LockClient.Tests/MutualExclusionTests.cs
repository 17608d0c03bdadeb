using LockService.Client.Tests.Fakes;
using Medallion.Threading;

namespace LockService.Client.Tests;

public sealed class MutualExclusionTests
{
    [Fact]
    public async Task Concurrent_clients_never_lose_an_update_and_see_strictly_increasing_tokens()
    {
        const int Clients = 10;
        const int Iterations = 30;
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var counter = 0;
        var inside = 0;
        var grants = new List<FencingToken>();

        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => h.Client()).Select(client => Task.Run(async () =>
        {
            for (var n = 0; n < Iterations; n++)
            {
                await using var handle = await client.AcquireAsync("counter", cancellationToken: ct);
                Assert.Equal(1, Interlocked.Increment(ref inside));
                lock (grants)
                {
                    grants.Add(handle.Token);
                }

                var read = counter;
                await Task.Yield();
                counter = read + 1;
                Interlocked.Decrement(ref inside);
            }
        }, ct)));

        Assert.Equal(Clients * Iterations, counter);
        Assert.Equal(grants.Order(), grants);
        Assert.Equal(grants.Count, grants.Distinct().Count());
    }

    [Fact]
    public async Task The_Medallion_adapter_gives_the_same_mutual_exclusion()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var providers = Enumerable.Range(0, 5).Select(_ => (IDistributedLockProvider)new LockServiceDistributedSynchronizationProvider(h.Client())).ToList();
        var counter = 0;
        var inside = 0;

        await Task.WhenAll(providers.Select(provider => Task.Run(async () =>
        {
            var @lock = provider.CreateLock("medallion");
            for (var n = 0; n < 20; n++)
            {
                await using var handle = await @lock.AcquireAsync(cancellationToken: ct);
                Assert.Equal(1, Interlocked.Increment(ref inside));
                var read = counter;
                await Task.Yield();
                counter = read + 1;
                Interlocked.Decrement(ref inside);
            }
        }, ct)));

        Assert.Equal(100, counter);
    }

    [Fact]
    public async Task Medallion_try_returns_null_when_busy_and_HandleLostToken_is_the_LostToken()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var provider = new LockServiceDistributedSynchronizationProvider(h.Client());
        var other = new LockServiceDistributedSynchronizationProvider(h.Client());

        var handle = (LockServiceSynchronizationHandle?)await provider.CreateLock("m").TryAcquireAsync(cancellationToken: ct);
        Assert.NotNull(handle);
        Assert.Null(await other.CreateLock("m").TryAcquireAsync(cancellationToken: ct));
        Assert.Null(await other.CreateReaderWriterLock("m").TryAcquireReadLockAsync(cancellationToken: ct));
        Assert.Equal(handle.Handle.LostToken, handle.HandleLostToken);

        h.Service.ExpireSession(handle.Handle.Session.Id);
        await h.AdvanceUntil(Task.Run(async () => await Task.Delay(Timeout.Infinite, handle.HandleLostToken).ContinueWith(_ => 0, TaskScheduler.Default), ct));
        Assert.True(handle.HandleLostToken.IsCancellationRequested);
        await handle.DisposeAsync();
    }

    [Fact]
    public async Task Medallion_readers_share_and_writers_exclude()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var a = new LockServiceDistributedSynchronizationProvider(h.Client()).CreateReaderWriterLock("rw");
        var b = new LockServiceDistributedSynchronizationProvider(h.Client()).CreateReaderWriterLock("rw");

        await using var readA = await a.AcquireReadLockAsync(cancellationToken: ct);
        await using var readB = await b.TryAcquireReadLockAsync(cancellationToken: ct);
        Assert.NotNull(readB);
        Assert.Null(await b.TryAcquireWriteLockAsync(cancellationToken: ct));
    }
}
