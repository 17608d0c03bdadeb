using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// A lock that is held, waited for, or in its lock-delay; a lock with none of these has no record at all.
/// Holders are kept in grant order (so the last has the newest token), waiters in FIFO order.
/// </summary>
internal sealed class LockState(string name, long sequence, int maxCount = 0) : CreationOrdered<LockState>
{
    public string Name { get; } = name;

    /// <summary>0 for a lock; N ≥ 1 for a semaphore of N permits (its holders are the permits, all shared).</summary>
    public int MaxCount { get; } = maxCount;

    public bool IsSemaphore => MaxCount > 0;

    /// <summary>Listed in the state machine's semaphores whose next grant waits for the next entry.</summary>
    public bool PendingPromotion { get; set; }

    /// <summary>Creation order; breaks ties between deadlines deterministically.</summary>
    public long Sequence { get; set; } = sequence;

    /// <summary>No grant before this lease-clock time (set when a holder with lock-delay expires).</summary>
    public long DelayUntilMs { get; set; }

    /// <summary>Already listed for promotion in the current apply step.</summary>
    public bool Touched { get; set; }

    public LockEntry? FirstHolder;
    public LockEntry? LastHolder;
    public LockEntry? FirstWaiter;
    public LockEntry? LastWaiter;

    public int HolderCount { get; private set; }

    public int WaiterCount { get; private set; }

    public bool HasExclusiveHolder => FirstHolder is { Mode: LockMode.Exclusive };

    public bool IsIdle => HolderCount == 0 && WaiterCount == 0;

    public void AddHolder(LockEntry entry)
    {
        Append(ref FirstHolder, ref LastHolder, entry);
        HolderCount++;
    }

    public void RemoveHolder(LockEntry entry)
    {
        Unlink(ref FirstHolder, ref LastHolder, entry);
        HolderCount--;
    }

    public void AddWaiter(LockEntry entry)
    {
        Append(ref FirstWaiter, ref LastWaiter, entry);
        WaiterCount++;
    }

    public void RemoveWaiter(LockEntry entry)
    {
        Unlink(ref FirstWaiter, ref LastWaiter, entry);
        WaiterCount--;
    }

    private static void Append(ref LockEntry? first, ref LockEntry? last, LockEntry entry)
    {
        entry.Prev = last;
        entry.Next = null;
        if (last is null)
        {
            first = entry;
        }
        else
        {
            last.Next = entry;
        }

        last = entry;
    }

    private static void Unlink(ref LockEntry? first, ref LockEntry? last, LockEntry entry)
    {
        if (entry.Prev is null)
        {
            first = entry.Next;
        }
        else
        {
            entry.Prev.Next = entry.Next;
        }

        if (entry.Next is null)
        {
            last = entry.Prev;
        }
        else
        {
            entry.Next.Prev = entry.Prev;
        }

        entry.Prev = null;
        entry.Next = null;
    }
}
