namespace LockService.Client;

/// <summary>
/// Acquires distributed locks from a LockService cluster. One instance per process is enough (it is registered as
/// a singleton by <see cref="LockClientServiceCollectionExtensions.AddLockClient"/>): it keeps one session per lock
/// group it uses, opened lazily and renewed in the background, and every lock it hands out belongs to one of them.
/// Thread-safe.
/// </summary>
/// <example>
/// <code>
/// await using var handle = await lockClient.AcquireAsync("orders/42", TimeSpan.FromSeconds(30));
/// await orders.SaveAsync(order, fencingToken: handle.Token, handle.LostToken);
/// </code>
/// </example>
public interface ILockClient : IAsyncDisposable
{
    /// <summary>
    /// Tries to acquire a lock, waiting up to <paramref name="timeout"/> in FIFO order behind earlier waiters.
    /// </summary>
    /// <param name="name">The lock's name; any non-empty string the service accepts (for example "orders/42").</param>
    /// <param name="timeout">How long to wait for the lock; <see cref="TimeSpan.Zero"/> (the default) tries once
    /// without waiting; <see cref="Timeout.InfiniteTimeSpan"/> waits until cancelled.</param>
    /// <param name="mode">Exclusive (the default) or shared.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled waiter is withdrawn from the queue.</param>
    /// <returns>The handle of the acquired lock, or <c>null</c> when it was not acquired within the timeout.</returns>
    /// <exception cref="InvalidLockNameException">The name was refused.</exception>
    /// <exception cref="LockServiceUnavailableException">No leader answered within the timeout (at least
    /// <see cref="LockClientOptions.RequestTimeout"/>).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>) or over
    /// int.MaxValue milliseconds; thrown by the call itself, before a task is returned.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<LockHandle?> TryAcquireAsync(string name, TimeSpan timeout = default, LockMode mode = LockMode.Exclusive, CancellationToken cancellationToken = default);

    /// <summary>Acquires a lock, waiting in FIFO order behind earlier waiters.</summary>
    /// <param name="name">The lock's name; any non-empty string the service accepts (for example "orders/42").</param>
    /// <param name="timeout">How long to wait; <c>null</c> (the default) waits until cancelled.</param>
    /// <param name="mode">Exclusive (the default) or shared.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled waiter is withdrawn from the queue.</param>
    /// <returns>The handle of the acquired lock.</returns>
    /// <exception cref="TimeoutException">The lock was not acquired within <paramref name="timeout"/>.</exception>
    /// <exception cref="InvalidLockNameException">The name was refused.</exception>
    /// <exception cref="LockServiceUnavailableException">No leader answered within the timeout.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The timeout is negative (other than <see cref="Timeout.InfiniteTimeSpan"/>) or over
    /// int.MaxValue milliseconds; thrown by the call itself, before a task is returned.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<LockHandle> AcquireAsync(string name, TimeSpan? timeout = null, LockMode mode = LockMode.Exclusive, CancellationToken cancellationToken = default);

    /// <summary>
    /// Tries to acquire one permit of the semaphore <paramref name="name"/> of <paramref name="maxCount"/> permits,
    /// waiting up to <paramref name="timeout"/> in FIFO order behind earlier waiters. At most
    /// <paramref name="maxCount"/> handles hold a permit at a time; each has its own fencing token, higher than every
    /// earlier permit's of the same semaphore. Permits are freed by release, and with their session.
    /// </summary>
    /// <param name="name">The semaphore's name; a name is a lock or a semaphore, never both at once.</param>
    /// <param name="maxCount">The number of permits, 1 or more; every user of the name must pass the same count.</param>
    /// <param name="timeout">As for <see cref="TryAcquireAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled waiter is withdrawn from the queue.</param>
    /// <returns>The handle of the permit (<see cref="LockMode.Shared"/>), or <c>null</c> when none was free in time.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 1, or the timeout is invalid.</exception>
    /// <exception cref="LockKindMismatchException">The name is in use as a lock, or as a semaphore of another count.</exception>
    /// <exception cref="InvalidLockNameException">The name was refused.</exception>
    /// <exception cref="LockServiceUnavailableException">No leader answered within the timeout.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<LockHandle?> TryAcquireSemaphoreAsync(string name, int maxCount, TimeSpan timeout = default, CancellationToken cancellationToken = default);

    /// <summary>Acquires one permit of a semaphore, waiting in FIFO order (see <see cref="TryAcquireSemaphoreAsync"/>).</summary>
    /// <param name="name">The semaphore's name.</param>
    /// <param name="maxCount">The number of permits, 1 or more.</param>
    /// <param name="timeout">How long to wait; <c>null</c> (the default) waits until cancelled.</param>
    /// <param name="cancellationToken">Cancels the wait; a cancelled waiter is withdrawn from the queue.</param>
    /// <returns>The handle of the permit.</returns>
    /// <exception cref="TimeoutException">No permit was acquired within <paramref name="timeout"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxCount"/> is below 1, or the timeout is invalid.</exception>
    /// <exception cref="LockKindMismatchException">The name is in use as a lock, or as a semaphore of another count.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<LockHandle> AcquireSemaphoreAsync(string name, int maxCount, TimeSpan? timeout = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the service, linearizably, whether <paramref name="token"/> is the token of a current holder of the lock.
    /// When it is not and this client holds a handle with that token, the handle's <see cref="LockHandle.LostToken"/> fires.
    /// </summary>
    /// <param name="name">The lock's name.</param>
    /// <param name="token">The fencing token to check.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns><c>true</c> when a current holder of the lock has this token.</returns>
    /// <exception cref="LockServiceUnavailableException">No leader answered within <see cref="LockClientOptions.RequestTimeout"/>.</exception>
    Task<bool> IsCurrentAsync(string name, FencingToken token, CancellationToken cancellationToken = default);

    /// <summary>Describes a lock linearizably: its holders with their tokens, and its waiters in queue order.</summary>
    /// <param name="name">The lock's name.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The lock's state, or <c>null</c> when nobody holds or waits for it.</returns>
    /// <exception cref="LockServiceUnavailableException">No leader answered within <see cref="LockClientOptions.RequestTimeout"/>.</exception>
    Task<LockInfo?> DescribeAsync(string name, CancellationToken cancellationToken = default);
}
