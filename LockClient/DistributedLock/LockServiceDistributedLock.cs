using Medallion.Threading;

namespace LockService.Client;

/// <summary>A Medallion <see cref="IDistributedLock"/> (exclusive) served by LockService.</summary>
public sealed class LockServiceDistributedLock : IDistributedLock
{
    private readonly ILockClient _client;

    /// <summary>Creates the lock named <paramref name="name"/> on <paramref name="client"/>.</summary>
    /// <param name="client">The LockService client.</param>
    /// <param name="name">The lock's name.</param>
    public LockServiceDistributedLock(ILockClient client, string name)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(name);
        _client = client;
        Name = name;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle? TryAcquire(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        TryAcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public IDistributedSynchronizationHandle Acquire(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        AcquireAsync(timeout, cancellationToken).AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public async ValueTask<IDistributedSynchronizationHandle?> TryAcquireAsync(TimeSpan timeout = default, CancellationToken cancellationToken = default) =>
        await _client.TryAcquireAsync(Name, timeout, LockMode.Exclusive, cancellationToken).ConfigureAwait(false) is { } handle
            ? new LockServiceSynchronizationHandle(handle)
            : null;

    /// <inheritdoc/>
    public async ValueTask<IDistributedSynchronizationHandle> AcquireAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        new LockServiceSynchronizationHandle(await _client.AcquireAsync(Name, timeout, LockMode.Exclusive, cancellationToken).ConfigureAwait(false));
}
