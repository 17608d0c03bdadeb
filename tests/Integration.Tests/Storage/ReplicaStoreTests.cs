using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using LockService.Integration.Tests.Infrastructure;
using LockService.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Integration.Tests.Storage;

/// <summary>The replica's durable log on Azurite: appends, truncation, snapshots, and fencing of a second activation.</summary>
public sealed class ReplicaStoreTests(AzuriteFixture azurite)
{
    private readonly TableClient _table = new TableServiceClient(azurite.ConnectionString).GetTableClient("replicastoretests");
    private readonly BlobContainerClient _blobs = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("replicastoretests");
    private readonly string _key = $"{Random.Shared.Next(1000)}/{Guid.NewGuid():N}";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private Task<(ReplicaStore Store, ReplicaDurableState State)> Open() =>
        ReplicaStore.OpenAsync(_table, _blobs, _key, NullLogger.Instance, TestContext.Current.CancellationToken);

    private static ReadOnlyMemory<byte>[] Entries(params string[] values) =>
        values.Select(v => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(v)).ToArray();

    private static string[] Texts(ReplicaDurableState state) => state.Entries.Select(e => Encoding.UTF8.GetString(e)).ToArray();

    [Fact]
    public async Task A_new_replica_starts_empty()
    {
        var (_, state) = await Open();
        Assert.True(state.IsEmpty);
        Assert.Equal(1, state.FirstIndex);
        Assert.Equal(0, state.LastIndex);
    }

    [Fact]
    public async Task Appended_entries_and_hard_state_are_reloaded_in_order()
    {
        var (store, _) = await Open();
        await store.SaveAsync([1, 2, 3], 1, Entries("a", "b"), Ct);
        await store.SaveAsync(null, 3, Entries("c"), Ct);

        var (_, state) = await Open();
        Assert.Equal([1, 2, 3], state.HardState);
        Assert.Equal(["a", "b", "c"], Texts(state));
        Assert.Equal(3, state.LastIndex);
    }

    [Fact]
    public async Task An_append_over_a_conflicting_suffix_truncates_it()
    {
        var (store, _) = await Open();
        await store.SaveAsync(null, 1, Entries("a", "b", "c", "d"), Ct);
        await store.SaveAsync(null, 2, Entries("x"), Ct);

        var (_, state) = await Open();
        Assert.Equal(["a", "x"], Texts(state));
    }

    [Fact]
    public async Task A_batch_larger_than_one_transaction_is_stored_whole()
    {
        var (store, _) = await Open();
        var values = Enumerable.Range(0, 250).Select(i => $"entry-{i}").ToArray();
        await store.SaveAsync([9], 1, Entries(values), Ct);

        var (_, state) = await Open();
        Assert.Equal(values, Texts(state));
        Assert.Equal([9], state.HardState);
    }

    [Fact]
    public async Task An_entry_larger_than_one_table_property_round_trips()
    {
        var (store, _) = await Open();
        var big = new byte[200_000];
        new Random(7).NextBytes(big);
        await store.SaveAsync(null, 1, [big], Ct);

        var (_, state) = await Open();
        Assert.Equal(big, state.Entries[0]);
    }

    [Fact]
    public async Task A_snapshot_replaces_the_entries_it_covers_and_keeps_the_rest()
    {
        var (store, _) = await Open();
        await store.SaveAsync(null, 1, Entries("a", "b", "c", "d"), Ct);
        await store.SaveSnapshotAsync(2, 1, [42], null, cancellationToken: Ct);

        var (_, state) = await Open();
        Assert.Equal(2, state.SnapshotIndex);
        Assert.Equal(1, state.SnapshotTerm);
        Assert.Equal([42], state.Snapshot);
        Assert.Equal(3, state.FirstIndex);
        Assert.Equal(["c", "d"], Texts(state));
    }

    [Fact]
    public async Task An_installed_snapshot_past_the_log_drops_the_whole_log()
    {
        var (store, _) = await Open();
        await store.SaveAsync(null, 1, Entries("a", "b"), Ct);
        await store.SaveSnapshotAsync(10, 3, [7], [5], discardLog: true, Ct);
        await store.SaveAsync(null, 11, Entries("k"), Ct);

        var (_, state) = await Open();
        Assert.Equal(10, state.SnapshotIndex);
        Assert.Equal(11, state.FirstIndex);
        Assert.Equal(["k"], Texts(state));
        Assert.Equal([5], state.HardState);
    }

    [Fact]
    public async Task An_installed_snapshot_inside_the_log_drops_the_entries_after_it_too()
    {
        var (store, _) = await Open();
        await store.SaveAsync(null, 1, Entries("a", "b", "c", "d"), Ct);
        await store.SaveSnapshotAsync(2, 4, [8], null, discardLog: true, Ct);

        var (_, state) = await Open();
        Assert.Equal(2, state.SnapshotIndex);
        Assert.Empty(state.Entries);
        Assert.Equal(3, state.FirstIndex);
    }

    [Fact]
    public async Task A_second_activation_that_wrote_first_fences_the_older_one()
    {
        var (older, _) = await Open();
        await older.SaveAsync([1], 1, Entries("a"), Ct);

        var (newer, _) = await Open();
        await newer.SaveAsync([2], 2, Entries("b-newer"), Ct);

        await Assert.ThrowsAsync<ReplicaFencedException>(() => older.SaveAsync([3], 2, Entries("b-older"), Ct));
        Assert.True(older.IsFenced);
        await Assert.ThrowsAsync<ReplicaFencedException>(() => older.SaveAsync([3], 3, Entries("c"), Ct));

        var (_, state) = await Open();
        Assert.Equal(["a", "b-newer"], Texts(state));
        Assert.Equal([2], state.HardState);
    }

    [Fact]
    public async Task A_check_that_reads_this_activations_own_landed_write_before_its_answer_is_no_fence()
    {
        var (store, _) = await Open();
        await store.SaveAsync([1], 1, Entries("a"), Ct);

        // The write lands in storage; its answer (with the new ETag) is held back while the check reads the row.
        var landed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.AfterTransactionLanded = () =>
        {
            landed.TrySetResult();
            return answer.Task;
        };
        var write = store.SaveAsync([1], 2, Entries("b"), Ct);
        await landed.Task.WaitAsync(Ct);

        var check = store.IsCurrentAsync(Ct);
        answer.SetResult();
        await write;

        Assert.True(await check);
        Assert.False(store.IsFenced);
        Assert.True(await store.IsCurrentAsync(Ct));
        await store.SaveAsync([1], 3, Entries("c"), Ct);
    }

    [Fact]
    public async Task A_check_after_another_activation_wrote_fences_this_one()
    {
        var (older, _) = await Open();
        await older.SaveAsync([1], 1, Entries("a"), Ct);
        Assert.True(await older.IsCurrentAsync(Ct));

        var (newer, _) = await Open();
        await newer.SaveAsync([2], 2, Entries("b"), Ct);

        Assert.False(await older.IsCurrentAsync(Ct));
        Assert.True(older.IsFenced);
        await Assert.ThrowsAsync<ReplicaFencedException>(() => older.SaveAsync([3], 2, Entries("c"), Ct));
    }

    [Fact]
    public async Task Two_fresh_activations_cannot_both_create_the_replica()
    {
        var (first, _) = await Open();
        var (second, _) = await Open();
        await first.SaveAsync([1], 1, Entries("first"), Ct);

        await Assert.ThrowsAsync<ReplicaFencedException>(() => second.SaveAsync([1], 1, Entries("second"), Ct));

        var (_, state) = await Open();
        Assert.Equal(["first"], Texts(state));
    }

    [Fact]
    public async Task A_batch_is_one_transaction_of_one_row()
    {
        var (store, _) = await Open();
        await store.SaveAsync([1], 1, Entries(Enumerable.Range(0, 64).Select(i => $"entry-{i}").ToArray()), Ct);
        await store.SaveAsync(null, 65, Entries("next"), Ct);

        Assert.Equal(2, store.Transactions);
        Assert.Equal(2, await LogRowCount());
    }

    [Fact]
    public async Task An_append_inside_a_packed_row_shadows_the_rest_of_it()
    {
        var (store, _) = await Open();
        store.PackedRowEntries = 0; // each append its own row, as large appends are
        await store.SaveAsync(null, 1, Entries("a", "b", "c", "d", "e"), Ct);
        await store.SaveAsync(null, 3, Entries("x", "y"), Ct);   // rows start at 1 and 3
        await store.SaveAsync(null, 2, Entries("p", "q", "r", "s", "t"), Ct); // starts at 2: the row at 3 is stale

        var (_, state) = await Open();
        Assert.Equal(["a", "p", "q", "r", "s", "t"], Texts(state));
        Assert.Equal(2, await LogRowCount()); // the row at 3 went with the append that replaced it
    }

    [Fact]
    public async Task A_batch_spanning_rows_and_transactions_reloads_whole_and_truncates_across_rows()
    {
        var (store, _) = await Open();
        store.MaxEntriesPerRow = 3;
        store.MaxRowsPerTransaction = 2;
        var values = Enumerable.Range(0, 20).Select(i => $"entry-{i}").ToArray();
        await store.SaveAsync([4], 1, Entries(values), Ct);
        Assert.Equal(4, store.Transactions); // 7 rows, 2 per transaction

        await store.SaveAsync(null, 5, Entries("x"), Ct); // inside the second row: rows from the third on are deleted

        var (_, state) = await Open();
        Assert.Equal([.. values[..4], "x"], Texts(state));
        Assert.Equal([4], state.HardState);
        Assert.Equal(3, await LogRowCount());
    }

    [Fact]
    public async Task A_packed_write_torn_between_transactions_reloads_as_its_first_part()
    {
        var (store, _) = await Open();
        store.MaxEntriesPerRow = 2;
        store.MaxRowsPerTransaction = 1;
        store.BeforeTransaction = n =>
        {
            if (n == 2)
            {
                throw new IOException("injected: the silo died between the transactions of one write");
            }
        };
        await Assert.ThrowsAsync<IOException>(() => store.SaveAsync([1], 1, Entries("a", "b", "c", "d"), Ct));

        var (_, state) = await Open();
        Assert.Equal(["a", "b"], Texts(state));
        Assert.Null(state.HardState); // the hard state goes with the last transaction of a write
    }

    [Fact]
    public async Task Compaction_deletes_the_rows_a_snapshot_covers_and_keeps_one_it_covers_in_part()
    {
        var (store, _) = await Open();
        store.PackedRowEntries = 0;
        await store.SaveAsync(null, 1, Entries("a", "b"), Ct);
        await store.SaveAsync(null, 3, Entries("c", "d"), Ct);
        await store.SaveSnapshotAsync(3, 1, [42], null, cancellationToken: Ct);
        await store.CleanUp;

        Assert.Equal(1, await LogRowCount()); // rows 1..2 deleted, rows 3..4 kept for entry 4
        var (_, state) = await Open();
        Assert.Equal(4, state.FirstIndex);
        Assert.Equal(["d"], Texts(state));
    }

    [Fact]
    public async Task Compaction_deletes_covered_rows_in_small_transactions()
    {
        var (store, _) = await Open();
        store.MaxEntriesPerRow = 1;
        var values = Enumerable.Range(0, 45).Select(i => $"v{i}").ToArray();
        await store.SaveAsync(null, 1, Entries(values), Ct);
        var deletes = new List<int>();
        store.BeforeCleanUpTransaction = deletes.Add;
        await store.SaveSnapshotAsync(45, 1, [42], null, cancellationToken: Ct);
        await store.CleanUp;

        // One transaction of 100 deletes held every other write on a one-threaded Azurite behind it.
        Assert.Equal([ReplicaStore.CleanUpRowsPerTransaction, ReplicaStore.CleanUpRowsPerTransaction, 45 - (2 * ReplicaStore.CleanUpRowsPerTransaction)], deletes);
        Assert.Equal(0, await LogRowCount());
    }

    [Fact]
    public async Task Small_appends_pack_into_the_last_row_until_it_is_full()
    {
        var (store, _) = await Open();
        var values = Enumerable.Range(0, 100).Select(i => $"entry-{i}").ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            await store.SaveAsync([(byte)i], i + 1, Entries(values[i]), Ct);
        }

        Assert.Equal(100, store.Transactions); // still one transaction an append
        Assert.Equal(2, await LogRowCount()); // 64 entries, then 36: not 100 rows
        var (_, state) = await Open();
        Assert.Equal(values, Texts(state));
        Assert.Equal([99], state.HardState);
    }

    [Fact]
    public async Task An_append_inside_the_last_row_rewrites_it_without_the_suffix_it_replaces()
    {
        var (store, _) = await Open();
        await store.SaveAsync(null, 1, Entries("a", "b", "c", "d"), Ct);
        await store.SaveAsync(null, 3, Entries("x"), Ct);
        await store.SaveAsync(null, 4, Entries("y"), Ct);

        var (_, state) = await Open();
        Assert.Equal(["a", "b", "x", "y"], Texts(state));
        Assert.Equal(1, await LogRowCount());
    }

    [Fact]
    public async Task A_reopened_log_packs_into_the_row_it_loaded()
    {
        var (first, _) = await Open();
        await first.SaveAsync(null, 1, Entries("a", "b"), Ct);

        var (second, _) = await Open();
        await second.SaveAsync(null, 3, Entries("c"), Ct);

        var (_, state) = await Open();
        Assert.Equal(["a", "b", "c"], Texts(state));
        Assert.Equal(1, await LogRowCount());
    }

    [Fact]
    public async Task A_packed_append_deletes_rows_a_torn_truncation_left_past_the_end()
    {
        var (store, _) = await Open();
        store.MaxEntriesPerRow = 1;
        store.PackedRowEntries = 0;
        var values = Enumerable.Range(0, 150).Select(i => $"v{i}").ToArray();
        await store.SaveAsync(null, 1, Entries(values), Ct); // 150 rows in transactions 1 and 2
        store.BeforeTransaction = n =>
        {
            if (n == 4)
            {
                throw new IOException("injected: the silo died after the truncation's first transaction");
            }
        };
        await Assert.ThrowsAsync<IOException>(() => store.SaveAsync(null, 2, Entries("x"), Ct)); // 3 deleted 99 rows
        Assert.Equal(51, await LogRowCount()); // row 1, and rows 101..150 past the log's end (1)

        var (reopened, loaded) = await Open();
        Assert.Equal(["v0"], Texts(loaded));
        await reopened.SaveAsync(null, 2, Entries("y"), Ct);

        var (_, state) = await Open();
        Assert.Equal(["v0", "y"], Texts(state));
        Assert.Equal(1, await LogRowCount());
    }

    [Fact]
    public async Task After_a_snapshot_covers_the_last_row_the_next_append_starts_a_row()
    {
        var (store, _) = await Open();
        await store.SaveAsync(null, 1, Entries("a"), Ct);
        await store.SaveAsync(null, 2, Entries("b"), Ct);
        await store.SaveSnapshotAsync(2, 1, [42], null, cancellationToken: Ct);
        await store.SaveAsync(null, 3, Entries("c"), Ct);
        await store.CleanUp;

        Assert.Equal(1, await LogRowCount()); // the packed row 1..2 went with the snapshot; c has a row of its own
        var (_, state) = await Open();
        Assert.Equal(3, state.FirstIndex);
        Assert.Equal(["c"], Texts(state));
    }

    [Fact]
    public async Task A_log_in_the_old_one_row_per_entry_format_is_refused_with_a_clear_error()
    {
        var partition = _key.Replace('/', '_');
        await _table.CreateIfNotExistsAsync(Ct);
        await _table.AddEntityAsync(new TableEntity(partition, "meta") { ["FirstIndex"] = 1L, ["LastIndex"] = 1L, ["SnapshotIndex"] = 0L, ["SnapshotTerm"] = 0L }, Ct);
        await _table.AddEntityAsync(new TableEntity(partition, "e" + 1L.ToString("D19")) { ["D0"] = new byte[] { 1 } }, Ct);

        var error = await Assert.ThrowsAsync<InvalidDataException>(Open);
        Assert.Contains("format 1", error.Message, StringComparison.Ordinal);
    }

    private async Task<int> LogRowCount()
    {
        var partition = _key.Replace('/', '_');
        var count = 0;
        await foreach (var _ in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition && e.RowKey != "meta", select: ["RowKey"], cancellationToken: Ct))
        {
            count++;
        }

        return count;
    }
}
