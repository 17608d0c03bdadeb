namespace LockService.Client;

/// <summary>Semaphores: a permit is acquired like a shared lock whose holders are capped at maxCount by the service.</summary>
internal sealed partial class LockServiceClient
{
    public Task<LockHandle?> TryAcquireSemaphoreAsync(string name, int maxCount, TimeSpan timeout = default, CancellationToken cancellationToken = default)
    {
        CheckTimeout(timeout);
        CheckMaxCount(maxCount);
        return AcquireCoreAsync(name, timeout, LockMode.Shared, cancellationToken, maxCount);
    }

    public Task<LockHandle> AcquireSemaphoreAsync(string name, int maxCount, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? Timeout.InfiniteTimeSpan;
        CheckTimeout(wait);
        CheckMaxCount(maxCount);
        return OrTimeoutAsync(
            AcquireCoreAsync(name, wait, LockMode.Shared, cancellationToken, maxCount),
            $"No permit of the semaphore '{name}' ({maxCount} permits) was acquired within {wait}: other holders kept them all. Wait longer, or use TryAcquireSemaphoreAsync to handle a full semaphore without an exception.");
    }

    internal static void CheckMaxCount(int maxCount) =>
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
}
