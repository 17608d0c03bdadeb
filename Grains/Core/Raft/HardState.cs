namespace LockService.Raft;

/// <summary>
/// What a replica must have on disk before it sends anything that depends on it: its term, the vote it cast in
/// that term (at most one, paper §5.2), and the commit index (so a restart does not re-learn what it applied).
/// </summary>
public readonly record struct HardState(long Term, int? VotedFor, long Commit)
{
    public override string ToString() => $"term={Term} vote={(VotedFor?.ToString() ?? "-")} commit={Commit}";
}
