namespace LockService.Client;

/// <summary>The state of one lock, as returned by <see cref="ILockClient.DescribeAsync"/>.</summary>
/// <param name="Name">The lock's name.</param>
/// <param name="Holders">The current holders: one exclusive holder, or any number of shared holders.</param>
/// <param name="Waiters">The waiters, first in line first.</param>
/// <param name="MaxCount">0 for a lock; for a semaphore, its number of permits (each holder holds one).</param>
public sealed record LockInfo(string Name, IReadOnlyList<LockHolder> Holders, IReadOnlyList<LockWaiter> Waiters, int MaxCount = 0)
{
    /// <summary>Whether anybody holds the lock.</summary>
    public bool IsHeld => Holders.Count > 0;
}

/// <summary>One holder of a lock.</summary>
/// <param name="SessionId">The session (one per client and lock group) that holds the lock.</param>
/// <param name="Mode">How the lock is held.</param>
/// <param name="Token">The fencing token of the grant.</param>
/// <param name="SessionRemainingTtl">How long the session lives on without another keepalive, as the service sees it.</param>
public sealed record LockHolder(Guid SessionId, LockMode Mode, FencingToken Token, TimeSpan SessionRemainingTtl);

/// <summary>One waiter for a lock.</summary>
/// <param name="SessionId">The session that waits.</param>
/// <param name="Mode">The mode it waits for.</param>
/// <param name="Position">Its place in the queue, 0 being next.</param>
public sealed record LockWaiter(Guid SessionId, LockMode Mode, int Position);
