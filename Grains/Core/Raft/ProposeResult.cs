namespace LockService.Raft;

public enum ProposeStatus : byte
{
    /// <summary>Appended to the leader's log at <see cref="ProposeResult.Index"/>; it is not committed yet.</summary>
    Accepted,

    /// <summary>This node is not the leader (or is handing leadership away); try <see cref="ProposeResult.LeaderHint"/>.</summary>
    NotLeader,

    /// <summary>The uncommitted tail already holds <c>MaxUncommittedBytes</c>; retry after commits catch up.</summary>
    Overloaded,
}

/// <summary>The answer to a proposal. For a batch, <see cref="Index"/> is the index of the first command; the rest follow it.</summary>
public readonly record struct ProposeResult(ProposeStatus Status, long Index, long Term, int? LeaderHint)
{
    public bool IsAccepted => Status == ProposeStatus.Accepted;

    internal static ProposeResult Accepted(long index, long term) => new(ProposeStatus.Accepted, index, term, null);
    internal static ProposeResult NotLeader(int? leaderHint) => new(ProposeStatus.NotLeader, 0, 0, leaderHint);
    internal static ProposeResult Overloaded(int leaderId) => new(ProposeStatus.Overloaded, 0, 0, leaderId);
}
