namespace LockService.Raft;

/// <summary>
/// Linearizable reads without a log write (dissertation §6.4): the leader records its commit index, confirms with a
/// heartbeat round that a majority still follows it, and then the read may be served once applied up to that index.
/// </summary>
public sealed partial class RaftNode
{
    private readonly Queue<PendingRead> pendingReads = new();
    private List<long>? readsAwaitingCommit;
    private List<ReadState>? readStates;

    /// <summary>The last heartbeat round broadcast in this term; followers echo it.</summary>
    private long readRound;

    /// <summary>Reads arrived since the last Ready; they share one heartbeat round.</summary>
    private bool readRoundPending;

    /// <summary>
    /// Asks for a read index. Returns false if this node is not the leader (ask <see cref="LeaderId"/>). Otherwise a
    /// <see cref="ReadState"/> with <paramref name="requestId"/> comes out in a later Ready; if leadership is lost
    /// first (a <see cref="Ready.SoftState"/> with another role), the read is dropped and the host must fail it.
    /// </summary>
    public bool ReadIndex(long requestId)
    {
        if (Role != RaftRole.Leader)
        {
            return false;
        }

        if (!CommittedInCurrentTerm)
        {
            // Until its no-op commits, a new leader's commit index may be behind what earlier leaders committed.
            (readsAwaitingCommit ??= []).Add(requestId);
            return true;
        }

        QueueRead(requestId);
        return true;
    }

    private bool CommittedInCurrentTerm => log.TryGetTerm(log.Committed, out var term) && term == Term;

    private void QueueRead(long requestId)
    {
        pendingReads.Enqueue(new PendingRead(requestId, log.Committed, readRound + 1));
        readRoundPending = true;
    }

    private void OnCommittedInCurrentTerm()
    {
        if (readsAwaitingCommit is { } waiting && CommittedInCurrentTerm)
        {
            readsAwaitingCommit = null;
            foreach (var requestId in waiting)
            {
                QueueRead(requestId);
            }
        }
    }

    /// <summary>Releases, in order, the reads whose heartbeat round a majority (the leader included) has answered.</summary>
    private void ConfirmReads()
    {
        while (pendingReads.TryPeek(out var read))
        {
            var acks = 1;
            for (var id = 0; id < progress.Length; id++)
            {
                if (id != Id && progress[id].AckedRound >= read.Round)
                {
                    acks++;
                }
            }

            if (acks < quorum)
            {
                return;
            }

            pendingReads.Dequeue();
            (readStates ??= []).Add(new ReadState(read.RequestId, read.Index));
        }
    }

    private void ClearReads()
    {
        pendingReads.Clear();
        readsAwaitingCommit = null;
        readRound = 0;
        readRoundPending = false;
    }

    private readonly record struct PendingRead(long RequestId, long Index, long Round);
}
