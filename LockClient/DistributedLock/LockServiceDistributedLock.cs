using Medallion.Threading;

namespace LockService.Client;

/// <summary>A Medallion <see cref="IDistributedLock"/> (exclusive) served by LockService.</summary>
public sealed class LockServiceDistributedLock : IDistributedLock
{
    private readonly ILockClient _client;

    /// <summary>Creates the lock named <paramref name="name"/> on <paramref name="client"/>.</summary>
    /// <param name="client">The LockService client.</param>
    /// <param name="name">Any string; mapped by <see cref="LockServiceSafeNames.GetSafeName"/>.</param>
    public LockServiceDistributedLock(ILockClient client, string name)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Name = LockServiceSafeNames.GetSafeName(name);
    }

    /// <summary>The name the service uses (<see cref="LockServiceSafeNames.GetSafeName"/> of the name given).</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        SynchronizationHandles.TryAcquire((t, ct) => _client.TryAcquireAsync(Name, t, LockMode.Exclusive, ct), timeout, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        SynchronizationHandles.Acquire((t, ct) => _client.AcquireAsync(Name, t, LockMode.Exclusive, ct), timeout, cancellationToken);
}
