namespace LockService.Raft;

/// <summary>The role a replica plays in its current term.</summary>
public enum RaftRole : byte
{
    Follower,

    /// <summary>Asking for pre-votes without raising its term, so a node that cannot win does not disrupt the others.</summary>
    PreCandidate,

    Candidate,
    Leader,
}
