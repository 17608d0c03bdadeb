namespace LockService.Leases;

/// <summary>A bounded view of the whole state for operators (the dashboard's replica view), never for the request path.</summary>
public sealed partial class LeaseStateMachine
{
    /// <summary>
    /// The first <paramref name="maxLocks"/> locks in ordinal name order, each with its first
    /// <paramref name="maxEntries"/> holders and waiters; remaining TTLs measured on <paramref name="clockMs"/>.
    /// </summary>
    public IReadOnlyList<LockInspection> Inspect(int maxLocks, int maxEntries, long? clockMs = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLocks, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 0);
        var now = clockMs ?? _clockMs;
        var page = List("", null, maxLocks);
        var locks = new List<LockInspection>(page.Locks.Count);
        foreach (var summary in page.Locks)
        {
            var lockState = _locks[summary.Name];
            locks.Add(new LockInspection(Describe(lockState, now, maxEntries), lockState.HolderCount, lockState.WaiterCount));
        }

        return locks;
    }
}

/// <summary>
/// A lock with at most the first N of its holders and waiters (<see cref="LockDescription"/>) and how many it has in
/// all, so a reader can tell a shortened list from a complete one.
/// </summary>
public sealed record LockInspection(LockDescription Lock, int HolderCount, int WaiterCount);
