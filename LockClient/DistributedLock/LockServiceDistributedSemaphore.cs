using Medallion.Threading;

namespace LockService.Client;

/// <summary>
/// A Medallion <see cref="IDistributedSemaphore"/> served by LockService: at most <see cref="MaxCount"/> handles at a
/// time, granted in FIFO order, each permit with its own fencing token
/// (<see cref="LockServiceSynchronizationHandle.Token"/>).
/// </summary>
public sealed class LockServiceDistributedSemaphore : IDistributedSemaphore
{
    private readonly ILockClient _client;

    /// <summary>Creates the semaphore named <paramref name="name"/> of <paramref name="maxCount"/> permits on <paramref name="client"/>.</summary>
    /// <param name="client">The LockService client.</param>
    /// <param name="name">Any string; mapped by <see cref="LockServiceSafeNames.GetSafeName"/>.</param>
    /// <param name="maxCount">The number of permits, 1 or more; every user of the name must pass the same count.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 1.</exception>
    public LockServiceDistributedSemaphore(ILockClient client, string name, int maxCount)
    {
        ArgumentNullException.ThrowIfNull(client);
        LockServiceClient.CheckMaxCount(maxCount);
        _client = client;
        Name = LockServiceSafeNames.GetSafeName(name);
        MaxCount = maxCount;
    }

    /// <summary>The name the service uses (<see cref="LockServiceSafeNames.GetSafeName"/> of the name given).</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public int MaxCount { get; }

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        SynchronizationHandles.TryAcquire((t, ct) => _client.TryAcquireSemaphoreAsync(Name, MaxCount, t, ct), timeout, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SynchronizationHandles.Acquire((t, ct) => _client.AcquireSemaphoreAsync(Name, MaxCount, t, ct), timeout, cancellationToken);
}
