using Medallion.Threading;

namespace LockService.Client;

/// <summary>
/// A Medallion <see cref="IDistributedReaderWriterLock"/> served by LockService: read locks are
/// <see cref="LockMode.Shared"/>, write locks <see cref="LockMode.Exclusive"/>, on the same lock name.
/// </summary>
public sealed class LockServiceDistributedReaderWriterLock : IDistributedReaderWriterLock
{
    private readonly ILockClient _client;

    /// <summary>Creates the reader-writer lock named <paramref name="name"/> on <paramref name="client"/>.</summary>
    /// <param name="client">The LockService client.</param>
    /// <param name="name">Any string; mapped by <see cref="LockServiceSafeNames.GetSafeName"/>.</param>
    public LockServiceDistributedReaderWriterLock(ILockClient client, string name)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        Name = LockServiceSafeNames.GetSafeName(name);
    }

    /// <summary>The name the service uses (<see cref="LockServiceSafeNames.GetSafeName"/> of the name given).</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle? TryAcquireReadLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireReadLockAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle AcquireReadLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireReadLockAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireReadLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(LockMode.Shared, timeout, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle> AcquireReadLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(LockMode.Shared, timeout, cancellationToken);

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle? TryAcquireWriteLock(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireWriteLockAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle AcquireWriteLock(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireWriteLockAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle?> TryAcquireWriteLockAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(LockMode.Exclusive, timeout, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IDistributedSynchronizationHandle> AcquireWriteLockAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(LockMode.Exclusive, timeout, cancellationToken);

    private ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(LockMode mode, TimeSpan timeout, CancellationToken cancellationToken) =>
        SynchronizationHandles.TryAcquire((t, ct) => _client.TryAcquireAsync(Name, t, mode, ct), timeout, cancellationToken);

    private ValueTask<IDistributedSynchronizationHandle> AcquireAsync(LockMode mode, TimeSpan? timeout, CancellationToken cancellationToken) =>
        SynchronizationHandles.Acquire((t, ct) => _client.AcquireAsync(Name, t, mode, ct), timeout, cancellationToken);
}
