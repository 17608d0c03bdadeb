namespace LockService.Storage;

/// <summary>What a replica finds in storage when it (re)activates. Entries are opaque encoded log entries.</summary>
/// <param name="HardState">Encoded hard state, or null before the first write.</param>
/// <param name="SnapshotIndex">Last log index covered by the snapshot, 0 when there is none.</param>
/// <param name="Snapshot">Encoded snapshot, or null.</param>
/// <param name="FirstIndex">Index of <paramref name="Entries"/>[0]; <c>SnapshotIndex + 1</c>.</param>
public sealed record ReplicaDurableState(
    byte[]? HardState,
    long SnapshotIndex,
    long SnapshotTerm,
    byte[]? Snapshot,
    long FirstIndex,
    IReadOnlyList<byte[]> Entries)
{
    public long LastIndex => FirstIndex + Entries.Count - 1;

    public bool IsEmpty => HardState is null && Snapshot is null && Entries.Count == 0;
}
