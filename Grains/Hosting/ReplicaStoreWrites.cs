using LockService.Raft;
using LockService.Replica;
using LockService.Storage;

namespace LockService.Hosting;

/// <summary>Performs the replica core's <see cref="StorageWrite"/> on the replica's table and blob store.</summary>
internal static class ReplicaStoreWrites
{
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
