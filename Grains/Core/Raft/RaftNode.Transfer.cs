namespace LockService.Raft;

/// <summary>Leadership transfer (dissertation §3.10): catch the target up, then tell it to campaign at once.</summary>
public sealed partial class RaftNode
{
    /// <summary>Ticks since the current transfer started; it is abandoned after an election timeout.</summary>
    private int transferElapsed;

    /// <summary>On a leader: the highest index known to be replicated on <paramref name="replica"/> (0 otherwise).</summary>
    public long MatchIndexOf(int replica) =>
        Role == RaftRole.Leader && replica >= 0 && replica < progress.Length ? (replica == Id ? log.LastIndex : progress[replica].Match) : 0;

    /// <summary>
    /// Starts handing leadership to <paramref name="target"/> (a draining silo). Proposals are refused meanwhile; the
    /// transfer is abandoned after an election timeout. Returns false if this node is not the leader or the target is
    /// not another voter.
    /// </summary>
    public bool TransferLeadership(int target)
    {
        if (Role != RaftRole.Leader || target == Id || target < 0 || target >= progress.Length)
        {
            return false;
        }

        if (LeadTransferee == target)
        {
            return true;
        }

        LeadTransferee = target;
        transferElapsed = 0;
        if (progress[target].Match == log.LastIndex)
        {
            Send(new TimeoutNow(Id, target, Term));
        }
        else
        {
            SendAppends(target, sendIfEmpty: true);
        }

        return true;
    }
}
