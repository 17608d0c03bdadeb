using Medallion.Threading;

namespace LockService.Client;

/// <summary>
/// What every Medallion acquire of the adapter shares: arguments checked before a task exists (Medallion's async
/// methods throw <see cref="ArgumentOutOfRangeException"/> at once), and the SDK's handle wrapped.
/// </summary>
internal static class SynchronizationHandles
{
    public static ValueTask<IDistributedSynchronizationHandle?> TryAcquire(
        Func<TimeSpan, CancellationToken, Task<LockHandle?>> acquire, TimeSpan timeout, CancellationToken cancellationToken)
    {
        LockServiceClient.CheckTimeout(timeout);
        return WrapNullableAsync(acquire(timeout, cancellationToken));
    }

    public static ValueTask<IDistributedSynchronizationHandle> Acquire(
        Func<TimeSpan?, CancellationToken, Task<LockHandle>> acquire, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        LockServiceClient.CheckTimeout(timeout ?? Timeout.InfiniteTimeSpan);
        return WrapAsync(acquire(timeout, cancellationToken));
    }

    private static async ValueTask<IDistributedSynchronizationHandle?> WrapNullableAsync(Task<LockHandle?> acquiring) =>
        await acquiring.ConfigureAwait(false) is { } handle ? new LockServiceSynchronizationHandle(handle) : null;

    private static async ValueTask<IDistributedSynchronizationHandle> WrapAsync(Task<LockHandle> acquiring) =>
        new LockServiceSynchronizationHandle(await acquiring.ConfigureAwait(false));
}
