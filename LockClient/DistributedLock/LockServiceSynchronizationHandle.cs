using Medallion.Threading;

namespace LockService.Client;

/// <summary>A Medallion DistributedLock handle over a <see cref="LockHandle"/>.</summary>
public sealed class LockServiceSynchronizationHandle : IDistributedSynchronizationHandle
{
    private int _disposed;

    internal LockServiceSynchronizationHandle(LockHandle handle)
    {
        Handle = handle;
    }

    /// <summary>The underlying LockService handle (for its <see cref="LockHandle.Token"/>).</summary>
    public LockHandle Handle { get; }

    /// <summary>The fencing token of the grant.</summary>
    public FencingToken Token => Handle.Token;

    /// <summary>The handle's <see cref="LockHandle.LostToken"/>.</summary>
    /// <exception cref="ObjectDisposedException">The handle was disposed (as Medallion's handles throw).</exception>
    public CancellationToken HandleLostToken
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return Handle.LostToken;
        }
    }

    /// <summary>Releases the lock (idempotent; never throws for a lost lock).</summary>
    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, 1);
        return Handle.DisposeAsync();
    }

    /// <summary>Releases the lock synchronously (prefer <see cref="DisposeAsync"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
