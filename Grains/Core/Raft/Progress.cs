namespace LockService.Raft;

public enum ProgressState : byte
{
    /// <summary>The leader does not know where the follower's log ends: one append at a time, backing off on rejects.</summary>
    Probe,

    /// <summary>The follower's log matches: appends stream ahead optimistically, bounded by the in-flight window.</summary>
    Replicate,

    /// <summary>The follower needs entries the leader compacted: the snapshot goes out one chunk at a time.</summary>
    Snapshot,
}

/// <summary>The leader's view of one follower's log (paper §5.3's nextIndex and matchIndex, plus flow control).</summary>
internal sealed class Progress
{
    public Progress(int maxInflight) => Inflights = new Inflights(maxInflight);

    /// <summary>Highest index known to be durable on the follower and equal to the leader's.</summary>
    public long Match { get; set; }

    /// <summary>Index of the next entry to send.</summary>
    public long Next { get; set; }

    public ProgressState State { get; private set; }

    /// <summary>In probe state: an append is outstanding, wait for its answer or the next heartbeat answer.</summary>
    public bool ProbeSent { get; set; }

    public Inflights Inflights { get; }

    /// <summary>Heard from since the last check-quorum round.</summary>
    public bool RecentActive { get; set; }

    /// <summary>Check-quorum rounds in a row that ended without a word from the follower.</summary>
    public int QuietRounds { get; set; }

    /// <summary>Highest heartbeat round the follower acknowledged in this term (confirms ReadIndex requests).</summary>
    public long AckedRound { get; set; }

    /// <summary>In snapshot state: the index of the snapshot being sent, and the offset the follower expects next.</summary>
    public long PendingSnapshot { get; private set; }

    /// <summary>
    /// The snapshot being sent. Held even if the leader compacts again meanwhile: restarting the transfer with every
    /// newer snapshot could starve a slow follower forever.
    /// </summary>
    public Snapshot? SnapshotBeingSent { get; private set; }

    public int SnapshotOffset { get; set; }

    /// <summary>The offset just past the last chunk sent; chunks go out while it is less than a window past the offset acknowledged.</summary>
    public int SnapshotSentEnd { get; set; }

    public bool IsPaused => State switch
    {
        ProgressState.Probe => ProbeSent,
        ProgressState.Replicate => Inflights.IsFull,
        _ => true,
    };

    public void Reset(long next)
    {
        Match = 0;
        Next = next;
        State = ProgressState.Probe;
        ProbeSent = false;
        Inflights.Clear();
        RecentActive = false;
        QuietRounds = 0;
        AckedRound = 0;
        PendingSnapshot = 0;
        SnapshotBeingSent = null;
        SnapshotOffset = 0;
    }

    public void BecomeProbe()
    {
        // After a snapshot the follower holds at least the snapshot, even before it acknowledged more.
        Next = State == ProgressState.Snapshot ? Math.Max(Match + 1, PendingSnapshot + 1) : Match + 1;
        State = ProgressState.Probe;
        ProbeSent = false;
        Inflights.Clear();
        PendingSnapshot = 0;
        SnapshotBeingSent = null;
    }

    public void BecomeReplicate()
    {
        Next = Match + 1;
        State = ProgressState.Replicate;
        ProbeSent = false;
        Inflights.Clear();
        PendingSnapshot = 0;
        SnapshotBeingSent = null;
    }

    public void BecomeSnapshot(Snapshot snapshot)
    {
        State = ProgressState.Snapshot;
        SnapshotBeingSent = snapshot;
        PendingSnapshot = snapshot.Metadata.LastIncludedIndex;
        SnapshotOffset = 0;
        SnapshotSentEnd = 0;
        Inflights.Clear();
    }

    /// <summary>An acknowledgement of <paramref name="index"/>; false if it told us nothing new.</summary>
    public bool MaybeUpdate(long index)
    {
        var updated = false;
        if (Match < index)
        {
            Match = index;
            updated = true;
            ProbeSent = false;
        }

        Next = Math.Max(Next, index + 1);
        return updated;
    }

    /// <summary>
    /// A rejection of the append after <paramref name="rejected"/>; <paramref name="probeFrom"/> is where the
    /// follower's hint says the logs may still agree. Returns false for a stale rejection (an older append).
    /// </summary>
    public bool MaybeDecreaseTo(long rejected, long probeFrom)
    {
        if (State == ProgressState.Replicate)
        {
            if (rejected <= Match)
            {
                return false;
            }

            Next = Match + 1;
            return true;
        }

        if (State == ProgressState.Snapshot || Next - 1 != rejected)
        {
            return false;
        }

        Next = Math.Max(Math.Min(rejected, probeFrom + 1), Match + 1);
        ProbeSent = false;
        return true;
    }

    public override string ToString() => $"{State} match={Match} next={Next} inflight={Inflights.Count}";
}
