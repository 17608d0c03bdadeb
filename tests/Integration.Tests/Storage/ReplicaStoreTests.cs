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
    public async Task Two_fresh_activations_cannot_both_create_the_replica()
    {
        var (first, _) = await Open();
        var (second, _) = await Open();
        await first.SaveAsync([1], 1, Entries("first"), Ct);

        await Assert.ThrowsAsync<ReplicaFencedException>(() => second.SaveAsync([1], 1, Entries("second"), Ct));

        var (_, state) = await Open();
        Assert.Equal(["first"], Texts(state));
    }
}
