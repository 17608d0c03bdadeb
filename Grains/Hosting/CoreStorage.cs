using LockService.Raft;
using LockService.Replica;
using LockService.Storage;

namespace LockService.Hosting;

/// <summary>The replica core's storage work on <see cref="ReplicaStore"/>: what it restarts from, and its writes.</summary>
internal static class CoreStorage
{
    public static PersistedState ToPersisted(ReplicaDurableState durable)
    {
        var hardState = durable.HardState is null ? default : RaftCodec.DecodeHardState(durable.HardState);
        Snapshot? snapshot = durable.Snapshot is null
            ? null
            : new Snapshot(new SnapshotMetadata(durable.SnapshotIndex, durable.SnapshotTerm), durable.Snapshot);
        var entries = durable.Entries.Select(bytes => RaftCodec.DecodeEntries(bytes)[0]).ToArray();
        return new PersistedState(hardState, snapshot, entries);
    }

    public static async Task PerformAsync(ReplicaStore store, StorageWrite write)
    {
        var hardState = write.HardState is { } state ? RaftCodec.EncodeHardState(state) : null;
        if (write.Snapshot is { } snapshot)
        {
            await store.SaveSnapshotAsync(
                snapshot.Metadata.LastIncludedIndex, snapshot.Metadata.LastIncludedTerm, snapshot.Data.ToArray(), hardState, write.DiscardLog);
            hardState = null;
        }

        var entries = write.Entries.Span;
        if (entries.Length > 0 || hardState is not null)
        {
            var encoded = new ReadOnlyMemory<byte>[entries.Length];
            for (var i = 0; i < entries.Length; i++)
            {
                encoded[i] = RaftCodec.EncodeEntries(entries.Slice(i, 1));
            }

            await store.SaveAsync(hardState, entries.Length > 0 ? entries[0].Index : 0, encoded);
        }
    }
}
