namespace LockService.Leases;

/// <summary>What a <see cref="Deadline"/> ends.</summary>
internal enum DeadlineKind : byte
{
    Session = 0,
    Wait = 1,
    LockDelay = 2,
}

/// <summary>A lease-clock time at which something may end; checked against the live state when it comes due.</summary>
internal readonly record struct Deadline(long AtMs, DeadlineKind Kind, object Target);

/// <summary>
/// All deadlines in one min-heap, so a tick costs O(due · log n), not a scan of every session. A renewal pushes a
/// new deadline and leaves the old one behind; an outdated deadline is recognized when popped and skipped, and
/// the heap is compacted when outdated ones outnumber live ones. Ties are broken by identity (session id, lock
/// creation order, request), never by heap layout, so every replica pops due deadlines in the same order.
/// </summary>
internal sealed class DeadlineQueue
{
    private readonly PriorityQueue<Deadline, Deadline> _heap = new(DeadlineComparer.Instance);

    public int Count => _heap.Count;

    public void Push(Deadline deadline) => _heap.Enqueue(deadline, deadline);

    /// <summary>The earliest deadline's time (it may be outdated: then it is only popped, and ends nothing).</summary>
    public long? EarliestMs => _heap.TryPeek(out var deadline, out _) ? deadline.AtMs : null;

    /// <summary>Pops the earliest deadline if it is due at <paramref name="clockMs"/>, live or not.</summary>
    public bool TryPopDue(long clockMs, out Deadline deadline)
    {
        if (_heap.TryPeek(out deadline, out _) && deadline.AtMs <= clockMs)
        {
            _heap.Dequeue();
            return true;
        }

        return false;
    }

    /// <summary>Drops outdated deadlines once they make up most of the heap.</summary>
    public void CompactIfWasteful(int liveEstimate, Func<Deadline, bool> isLive)
    {
        if (_heap.Count <= 1_024 || _heap.Count <= 3 * liveEstimate)
        {
            return;
        }

        var live = _heap.UnorderedItems.Select(item => item.Element).Where(isLive).ToList();
        _heap.Clear();
        foreach (var deadline in live)
        {
            _heap.Enqueue(deadline, deadline);
        }
    }

    public void Clear() => _heap.Clear();

    private sealed class DeadlineComparer : IComparer<Deadline>
    {
        public static readonly DeadlineComparer Instance = new();

        public int Compare(Deadline x, Deadline y)
        {
            var byTime = x.AtMs.CompareTo(y.AtMs);
            if (byTime != 0)
            {
                return byTime;
            }

            if (x.Kind != y.Kind)
            {
                return x.Kind.CompareTo(y.Kind);
            }

            return x.Kind switch
            {
                DeadlineKind.Session => ((SessionState)x.Target).Id.Value.CompareTo(((SessionState)y.Target).Id.Value),
                DeadlineKind.Wait => CompareWaits((LockEntry)x.Target, (LockEntry)y.Target),
                _ => ((LockState)x.Target).Sequence.CompareTo(((LockState)y.Target).Sequence),
            };
        }

        private static int CompareWaits(LockEntry x, LockEntry y)
        {
            var byLock = x.Lock.Sequence.CompareTo(y.Lock.Sequence);
            if (byLock != 0)
            {
                return byLock;
            }

            var byClient = x.Session.Client.Id.Value.CompareTo(y.Session.Client.Id.Value);
            return byClient != 0 ? byClient : x.Sequence.CompareTo(y.Sequence);
        }
    }
}
