namespace LockService.Raft;

/// <summary>
/// One batch of work for the host, taken with <see cref="RaftNode.GetReady"/> and acknowledged with
/// <see cref="RaftNode.Advance"/>. The host handles it in this order:
/// <list type="number">
/// <item><see cref="MessagesBeforePersist"/> may be sent at once (the leader's appends: its own write runs in
/// parallel with replication, dissertation §10.2.1; it counts itself towards a majority only after Advance).</item>
/// <item>Persist durably: <see cref="Snapshot"/> first (it replaces the whole log), then
/// <see cref="EntriesToPersist"/> (delete every persisted entry with an index at or after the first one, then
/// append), then <see cref="HardState"/>.</item>
/// <item>Send <see cref="MessagesAfterPersist"/> (votes and acknowledgements promise what was just persisted).</item>
/// <item>Install <see cref="Snapshot"/> into the state machine, then apply <see cref="CommittedEntries"/> in order.</item>
/// <item>Serve each of <see cref="ReadStates"/> once the applied index reaches its index.</item>
/// <item>Call <see cref="RaftNode.Advance"/> with this object.</item>
/// </list>
/// The slices stay valid and unchanged after Advance, but the host must copy what it keeps beyond that.
/// </summary>
public sealed class Ready
{
    internal Ready()
    {
    }

    /// <summary>Role, leader or term changed since the last Ready (a host fails its pending reads when leadership is lost).</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>Term, vote or commit changed: persist before sending <see cref="MessagesAfterPersist"/>.</summary>
    public HardState? HardState { get; init; }

    /// <summary>A snapshot received from the leader: persist it, drop the whole persisted log, restore the state machine from it.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Entries to make durable, contiguous; they replace any persisted entries from the first one's index on.</summary>
    public ReadOnlyMemory<LogEntry> EntriesToPersist { get; init; }

    public IReadOnlyList<RaftMessage> MessagesBeforePersist { get; init; } = [];

    public IReadOnlyList<RaftMessage> MessagesAfterPersist { get; init; } = [];

    /// <summary>Committed entries to apply, in order, after the ones of earlier Readies (and after <see cref="Snapshot"/>).</summary>
    public ReadOnlyMemory<LogEntry> CommittedEntries { get; init; }

    public IReadOnlyList<ReadState> ReadStates { get; init; } = [];

    /// <summary>Whether the host must write durably before sending <see cref="MessagesAfterPersist"/>.</summary>
    public bool MustPersist => HardState is not null || Snapshot is not null || !EntriesToPersist.IsEmpty;
}
