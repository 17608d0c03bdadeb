namespace LockService.Raft;

/// <summary>
/// The last index of each append sent to one follower and not yet acknowledged, oldest first, in a fixed ring: the
/// bound on pipelining. An acknowledgement of index n frees every append that ended at or before n.
/// </summary>
internal sealed class Inflights
{
    private readonly long[] lastIndexes;
    private int head;

    public Inflights(int capacity) => lastIndexes = new long[capacity];

    public int Count { get; private set; }

    public bool IsFull => Count == lastIndexes.Length;

    public void Add(long lastIndex)
    {
        if (IsFull)
        {
            throw new InvalidOperationException("Raft: an append was sent to a follower whose in-flight window is full.");
        }

        lastIndexes[(head + Count) % lastIndexes.Length] = lastIndex;
        Count++;
    }

    public void FreeUpTo(long index)
    {
        while (Count > 0 && lastIndexes[head] <= index)
        {
            head = (head + 1) % lastIndexes.Length;
            Count--;
        }
    }

    /// <summary>Makes room for one more append when acknowledgements may have been lost (a heartbeat came back).</summary>
    public void FreeFirst()
    {
        if (Count > 0)
        {
            head = (head + 1) % lastIndexes.Length;
            Count--;
        }
    }

    public void Clear()
    {
        head = 0;
        Count = 0;
    }
}
