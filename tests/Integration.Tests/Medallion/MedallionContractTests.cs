using System.Runtime.CompilerServices;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;
using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.Medallion;

/// <summary>
/// Medallion's published contract for <see cref="IDistributedLock"/>, <see cref="IDistributedReaderWriterLock"/> and
/// <see cref="IDistributedSemaphore"/>, where issue 14 found the adapter off it, on a 3-silo cluster through the
/// providers an application registers (<c>AddLockServiceDistributedLocks</c>).
/// </summary>
public sealed class MedallionContractTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TimeSpan[] BadTimeouts =
    [
        TimeSpan.FromMilliseconds(-2),
        TimeSpan.FromMilliseconds(int.MaxValue) + TimeSpan.FromTicks(TimeSpan.TicksPerMillisecond),
        TimeSpan.FromSeconds(int.MaxValue),
        TimeSpan.MaxValue,
        TimeSpan.MinValue,
    ];

    [Fact]
    public async Task Bad_arguments_throw_ArgumentOutOfRangeException_before_a_task_is_returned()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await using var services = Services(cluster);
        var @lock = services.GetRequiredService<IDistributedLockProvider>().CreateLock("args");
        var readerWriter = services.GetRequiredService<IDistributedReaderWriterLockProvider>().CreateReaderWriterLock("args-rw");
        var semaphores = services.GetRequiredService<IDistributedSemaphoreProvider>();
        var semaphore = semaphores.CreateSemaphore("args-sem", 2);
        var locks = services.GetRequiredService<ILockClient>();

        foreach (var timeout in BadTimeouts)
        {
            // Each call must throw synchronously: a returned task (faulted or not) fails the check.
            Func<object>[] calls =
            [
                () => @lock.TryAcquireAsync(timeout, Ct), () => @lock.AcquireAsync(timeout, Ct),
                () => readerWriter.TryAcquireReadLockAsync(timeout, Ct), () => readerWriter.AcquireReadLockAsync(timeout, Ct),
                () => readerWriter.TryAcquireWriteLockAsync(timeout, Ct), () => readerWriter.AcquireWriteLockAsync(timeout, Ct),
                () => semaphore.TryAcquireAsync(timeout, Ct), () => semaphore.AcquireAsync(timeout, Ct),
                () => locks.TryAcquireAsync("args", timeout, cancellationToken: Ct), () => locks.AcquireAsync("args", timeout, cancellationToken: Ct),
                () => locks.TryAcquireSemaphoreAsync("args-sem", 2, timeout, Ct), () => locks.AcquireSemaphoreAsync("args-sem", 2, timeout, Ct),
                () => @lock.TryAcquire(timeout, Ct)!, () => @lock.Acquire(timeout, Ct),
            ];
            foreach (var call in calls)
            {
                Assert.Throws<ArgumentOutOfRangeException>(call);
            }
        }

        Func<object>[] badCounts =
        [
            () => semaphores.CreateSemaphore("args-sem", 0), () => semaphores.CreateSemaphore("args-sem", -1),
            () => locks.TryAcquireSemaphoreAsync("args-sem", 0, cancellationToken: Ct), () => locks.AcquireSemaphoreAsync("args-sem", -1, cancellationToken: Ct),
        ];
        foreach (var call in badCounts)
        {
            Assert.Throws<ArgumentOutOfRangeException>(call);
        }

        Assert.Null(await locks.DescribeAsync("args", Ct)); // nothing reached the service
        Assert.Null(await locks.DescribeAsync("args-sem", Ct));

        // The bounds themselves are accepted: int.MaxValue ms and infinite, on a free lock.
        await using (var longest = await @lock.TryAcquireAsync(TimeSpan.FromMilliseconds(int.MaxValue), Ct))
        {
            Assert.NotNull(longest);
        }

        await using var infinite = await @lock.AcquireAsync(Timeout.InfiniteTimeSpan, Ct);
        Assert.Equal(2, semaphore.MaxCount);
    }

    [Fact]
    public async Task Any_string_is_a_valid_name_mapped_stably_and_case_sensitively_and_names_that_fit_pass_through()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await using var services = Services(cluster);
        var provider = services.GetRequiredService<IDistributedLockProvider>();
        var longName = new string('a', 1_000);
        string[] names =
        [
            "", longName, longName[..999] + "b", "C:\\locks\\orders", "A", "a", "tab\there", "nul\0", "lone\uD800",
            "~h/looks-hashed", LockServiceSafeNames.GetSafeName(""), new string('é', 300),
        ];

        // Every name acquires, and no two of them are the same lock: all are held at once.
        var handles = new List<IDistributedSynchronizationHandle>();
        foreach (var name in names)
        {
            handles.Add(await provider.CreateLock(name).TryAcquireAsync(cancellationToken: Ct)
                ?? throw new Xunit.Sdk.XunitException($"'{name}' was not acquired: it maps onto another name's lock"));
        }

        Assert.Equal(names.Length, names.Select(LockServiceSafeNames.GetSafeName).Distinct(StringComparer.Ordinal).Count());

        // The same string is the same lock, however it is created.
        foreach (var name in names)
        {
            Assert.Null(await provider.CreateLock(name).TryAcquireAsync(cancellationToken: Ct));
        }

        // Names that fit pass through: readable on the lease pages. The mapping of the others is pinned (stable).
        Assert.Equal("C:\\locks\\orders", provider.CreateLock("C:\\locks\\orders").Name);
        Assert.NotNull(await services.GetRequiredService<ILockClient>().DescribeAsync("C:\\locks\\orders", Ct));
        Assert.Equal("~h//e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", provider.CreateLock("").Name);
        Assert.StartsWith("~h/" + new string('a', 64) + "/", provider.CreateLock(longName).Name, StringComparison.Ordinal);
        Assert.StartsWith("~h/", provider.CreateLock("~h/looks-hashed").Name, StringComparison.Ordinal);

        foreach (var handle in handles)
        {
            await handle.DisposeAsync();
        }
    }

    [Fact]
    public async Task HandleLostToken_throws_ObjectDisposedException_once_the_handle_is_disposed()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await using var services = Services(cluster);
        var provider = services.GetRequiredService<IDistributedLockProvider>();

        var handle = await provider.CreateLock("disposed").AcquireAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.False(handle.HandleLostToken.IsCancellationRequested);
        await handle.DisposeAsync();
        Assert.Throws<ObjectDisposedException>(() => handle.HandleLostToken);

        var synchronous = provider.CreateLock("disposed").Acquire(TimeSpan.FromSeconds(10), Ct);
        synchronous.Dispose();
        Assert.Throws<ObjectDisposedException>(() => synchronous.HandleLostToken);
        synchronous.Dispose(); // idempotent
    }

    [Fact]
    public async Task An_abandoned_handle_is_released_once_collected_and_its_lost_token_fires_before_anyone_else_gets_the_lock()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await using var owner = Services(cluster);
        await using var other = Services(cluster);
        var lost = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var abandonedToken = await AcquireAndDropAsync(owner.GetRequiredService<IDistributedLockProvider>(), "abandoned", lost);

        // The owner's client keeps its session alive all along; only collecting the dropped handle frees the lock.
        var provider = other.GetRequiredService<IDistributedLockProvider>();
        var next = Task.Run(
            async () =>
            {
                var handle = await provider.CreateLock("abandoned").AcquireAsync(TimeSpan.FromSeconds(60), Ct);
                return (Handle: handle, LostFiredFirst: lost.Task.IsCompleted);
            },
            Ct);
        for (var round = 0; !lost.Task.IsCompleted; round++)
        {
            Assert.True(round < 600, "the abandoned handle was never finalized");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.WhenAny(lost.Task, Task.Delay(50, Ct)); // collect again until the finalizer has run
        }

        var (handle, lostFiredFirst) = await next;
        await using var _ = handle;
        Assert.True(lostFiredFirst, "the abandoned handle's lost token had not fired when the lock went to someone else");
        Assert.True(((LockServiceSynchronizationHandle)handle).Token > abandonedToken);
        var holder = Assert.Single((await other.GetRequiredService<ILockClient>().DescribeAsync("abandoned", Ct))!.Holders);
        Assert.Equal(((LockServiceSynchronizationHandle)handle).Token, holder.Token);
    }

    /// <summary>Acquires and drops the handle, keeping only its lost token (as code that passed it on would).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<FencingToken> AcquireAndDropAsync(IDistributedLockProvider provider, string name, TaskCompletionSource lost)
    {
        var handle = await provider.CreateLock(name).AcquireAsync(TimeSpan.FromSeconds(10), Ct);
        handle.HandleLostToken.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), lost);
        return ((LockServiceSynchronizationHandle)handle).Token;
    }

    /// <summary>An application's services: Medallion providers from one registration, with their own ILockClient.</summary>
    internal static ServiceProvider Services(LockServiceCluster cluster) => new ServiceCollection()
        .AddSingleton<IGrainFactory>(cluster.Cluster.Client)
        .AddLockServiceDistributedLocks(o => o.SessionTtl = TimeSpan.FromSeconds(5))
        .BuildServiceProvider();
}
