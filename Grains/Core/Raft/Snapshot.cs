namespace LockService.Raft;

/// <summary>The last log position a snapshot covers; entries up to it are replaced by the snapshot.</summary>
public readonly record struct SnapshotMetadata(long LastIncludedIndex, long LastIncludedTerm)
{
    public override string ToString() => $"{LastIncludedIndex}@{LastIncludedTerm}";
}

/// <summary>A snapshot of the host's applied state machine at <see cref="Metadata"/>. The bytes are opaque to Raft.</summary>
public sealed record Snapshot(SnapshotMetadata Metadata, ReadOnlyMemory<byte> Data)
{
    public override string ToString() => $"snapshot {Metadata} {Data.Length}B";
}
