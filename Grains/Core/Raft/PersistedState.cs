namespace LockService.Raft;

/// <summary>
/// Everything a replica had made durable: its hard state, its latest snapshot (if any) and the log entries after
/// the snapshot, contiguous from <c>Snapshot.LastIncludedIndex + 1</c> (or 1 without a snapshot).
/// <see cref="RaftNode.Restart"/> rebuilds a node from exactly this.
/// </summary>
public sealed record PersistedState(HardState HardState, Snapshot? Snapshot, IReadOnlyList<LogEntry> Entries)
{
    public static PersistedState Empty { get; } = new(default, null, Array.Empty<LogEntry>());
}
