namespace LockService.Raft;

/// <summary>
/// A message between replicas of one group. Every message carries the sender's term: a receiver with a lower term
/// adopts it and becomes a follower (paper §5.1); one with a higher term ignores it or tells the sender.
/// </summary>
public abstract record RaftMessage(int From, int To, long Term);

/// <summary>
/// Leader to follower: entries after (<see cref="PrevLogIndex"/>, <see cref="PrevLogTerm"/>), which the follower
/// accepts only if its log holds that position (the consistency check, §5.3). Empty when it only carries the commit.
/// </summary>
public sealed record AppendEntries(
    int From, int To, long Term, long PrevLogIndex, long PrevLogTerm, long LeaderCommit, ReadOnlyMemory<LogEntry> Entries)
    : RaftMessage(From, To, Term)
{
    public override string ToString() =>
        $"App {From}->{To} t{Term} prev={PrevLogIndex}@{PrevLogTerm} n={Entries.Length} commit={LeaderCommit}";
}

/// <summary>
/// Follower to leader. Accepted: <see cref="Index"/> is the last index now known to match. Rejected:
/// <see cref="Index"/> is the rejected PrevLogIndex and (<see cref="ConflictIndex"/>, <see cref="ConflictTerm"/>) is
/// the follower's last entry that could still match, so the leader skips a whole term per round trip.
/// </summary>
public sealed record AppendResponse(
    int From, int To, long Term, bool Reject, long Index, long ConflictIndex, long ConflictTerm)
    : RaftMessage(From, To, Term)
{
    public override string ToString() => Reject
        ? $"AppResp {From}->{To} t{Term} reject {Index} hint={ConflictIndex}@{ConflictTerm}"
        : $"AppResp {From}->{To} t{Term} ok {Index}";
}

/// <summary>
/// Candidate to voter. A pre-vote carries the term the candidate would campaign in, without raising its own.
/// <see cref="Transfer"/> marks an election the leader asked for, which voters honour even while they hear a leader.
/// </summary>
public sealed record RequestVote(
    int From, int To, long Term, long LastLogIndex, long LastLogTerm, bool PreVote, bool Transfer)
    : RaftMessage(From, To, Term)
{
    public override string ToString() =>
        $"{(PreVote ? "PreVote" : "Vote")} {From}->{To} t{Term} last={LastLogIndex}@{LastLogTerm}{(Transfer ? " transfer" : "")}";
}

public sealed record VoteResponse(int From, int To, long Term, bool PreVote, bool Granted) : RaftMessage(From, To, Term)
{
    public override string ToString() => $"{(PreVote ? "PreVoteResp" : "VoteResp")} {From}->{To} t{Term} {(Granted ? "granted" : "rejected")}";
}

/// <summary>
/// Leader to follower each heartbeat interval and for each ReadIndex round. <see cref="Commit"/> never exceeds what
/// the follower is known to hold. The follower echoes <see cref="Round"/> so the leader can confirm pending reads.
/// </summary>
public sealed record Heartbeat(int From, int To, long Term, long Commit, long Round) : RaftMessage(From, To, Term)
{
    public override string ToString() => $"Hb {From}->{To} t{Term} commit={Commit} round={Round}";
}

public sealed record HeartbeatResponse(int From, int To, long Term, long Round) : RaftMessage(From, To, Term)
{
    public override string ToString() => $"HbResp {From}->{To} t{Term} round={Round}";
}

/// <summary>
/// Leader to a follower whose next entry was compacted away: one chunk of the leader's snapshot, at
/// <see cref="Offset"/> of <see cref="TotalBytes"/>. The chunk that reaches the end installs the snapshot.
/// </summary>
public sealed record InstallSnapshot(
    int From, int To, long Term, SnapshotMetadata Snapshot, int TotalBytes, int Offset, ReadOnlyMemory<byte> Chunk)
    : RaftMessage(From, To, Term)
{
    public bool IsLast => Offset + Chunk.Length == TotalBytes;

    public override string ToString() =>
        $"Snap {From}->{To} t{Term} {Snapshot} [{Offset}..{Offset + Chunk.Length}) of {TotalBytes}";
}

/// <summary>
/// Follower to leader for a chunk that was not the last: the offset it expects next. The last chunk is answered with
/// an <see cref="AppendResponse"/> instead, since the follower's log then ends at the snapshot.
/// </summary>
public sealed record SnapshotResponse(int From, int To, long Term, long SnapshotIndex, int NextOffset)
    : RaftMessage(From, To, Term)
{
    public override string ToString() => $"SnapResp {From}->{To} t{Term} snap={SnapshotIndex} next={NextOffset}";
}

/// <summary>Leader to an up-to-date follower during a leadership transfer: start an election now.</summary>
public sealed record TimeoutNow(int From, int To, long Term) : RaftMessage(From, To, Term)
{
    public override string ToString() => $"TimeoutNow {From}->{To} t{Term}";
}
