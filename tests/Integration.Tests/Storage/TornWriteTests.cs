using Azure.Data.Tables;
using Azure.Storage.Blobs;
using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Leases;
using LockService.Raft;
using LockService.Replica;
using LockService.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Integration.Tests.Storage;

/// <summary>
/// A batch larger than one table transaction is written in several; a crash between them leaves entries of a newer
/// term under the older hard state. The replica must restart from that and rejoin, not die in the Raft constructor.
/// </summary>
public sealed class TornWriteTests(AzuriteFixture azurite)
{
    private static readonly RaftConfig Config = new() { Id = 0, Voters = [0, 1, 2] };
    private readonly TableClient _table = new TableServiceClient(azurite.ConnectionString).GetTableClient("tornwritetests");
    private readonly BlobContainerClient _blobs = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("tornwritetests");
    private readonly string _key = $"{Random.Shared.Next(1000)}/{Guid.NewGuid():N}";

    private Task<(ReplicaStore Store, ReplicaDurableState State)> Open() =>
        ReplicaStore.OpenAsync(_table, _blobs, _key, NullLogger.Instance, TestContext.Current.CancellationToken);

    private static LogEntry[] NoOps(long from, long term, int count) =>
        Enumerable.Range(0, count).Select(i => new LogEntry(from + i, term, EntryType.NoOp, ReadOnlyMemory<byte>.Empty)).ToArray();

    private static ReplicaCore Restart(ReplicaDurableState durable) =>
        new(new ReplicaCoreOptions(), Config, new Random(1), CoreStorage.ToPersisted(durable), TimeSpan.Zero, () => new SessionId(1));

    [Fact]
    public async Task A_replica_whose_second_transaction_failed_restarts_and_rejoins()
    {
        var (store, _) = await Open();
        await CoreStorage.PerformAsync(store, new StorageWrite(1, new HardState(2, 1, 3), NoOps(1, 2, 3), null, DiscardLog: false));

        // A follower's batch from the leader of term 3: 150 entries, more than one transaction holds (rows of 10, 10 rows
        // per transaction here; in production the limit is 3 MiB per transaction). The second fails.
        store.MaxEntriesPerRow = 10;
        store.MaxRowsPerTransaction = 10;
        var seen = new List<int>();
        store.BeforeTransaction = n =>
        {
            seen.Add(n);
            if (n == 3)
            {
                throw new IOException("injected: the silo died between the transactions of one write");
            }
        };
        await Assert.ThrowsAsync<IOException>(() =>
            CoreStorage.PerformAsync(store, new StorageWrite(2, new HardState(3, null, 3), NoOps(4, 3, 150), null, DiscardLog: false)));
        Assert.Equal([2, 3], seen);

        var (restarted, torn) = await Open();
        var persisted = CoreStorage.ToPersisted(torn);
        Assert.Equal(2, persisted.HardState.Term);
        Assert.Equal(3, persisted.Entries[^1].Term); // torn: newer-term entries under the older hard state
        Assert.Throws<ArgumentException>(() => RaftNode.Restart(Config, new Random(1), persisted)); // what used to kill it for good

        var core = Restart(torn);
        Assert.Equal(3, core.Raft.Term);

        // Rejoins: the leader of term 3 appends after the last durable entry; the replica writes it and acknowledges.
        var last = persisted.Entries[^1];
        core.Receive([new AppendEntries(1, 0, 3, last.Index, last.Term, last.Index, NoOps(last.Index + 1, 3, 1))], TimeSpan.FromMilliseconds(1));
        var write = Assert.IsType<StorageWrite>(core.Outbox.Write);
        core.Outbox.Clear();
        await CoreStorage.PerformAsync(restarted, write);
        core.WriteFinished(write.WriteId, TimeSpan.FromMilliseconds(2));
        var ack = Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages, m => m is AppendResponse));
        Assert.False(ack.Reject);
        Assert.Equal(last.Index + 1, ack.Index);

        // And what it wrote then restarts cleanly, at the leader's term.
        var (_, healed) = await Open();
        Assert.Equal(3, CoreStorage.ToPersisted(healed).HardState.Term);
        Assert.Equal(3, Restart(healed).Raft.Term);
    }
}
