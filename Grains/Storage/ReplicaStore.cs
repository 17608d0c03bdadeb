using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace LockService.Storage;

/// <summary>
/// The durable state of one Raft replica in Azure Table storage: one row per log entry plus a "meta" row with
/// the hard state, the log bounds and the snapshot pointer; snapshots live in blobs. Every write is an entity
/// group transaction that also replaces the meta row under its ETag, so a write costs in proportion to its batch
/// (never to the log), is atomic, and is refused when another activation wrote first (then
/// <see cref="ReplicaFencedException"/>, and this instance refuses every later write too).
/// Entry rows past the meta row's LastIndex are leftovers of a truncated suffix: ignored, later overwritten.
/// </summary>
public sealed class ReplicaStore
{
    private const string MetaRowKey = "meta";
    private const int MaxActionsPerTransaction = 100;
    private const int MaxTransactionBytes = 3 * 1024 * 1024; // below the service's 4 MiB per transaction
    private const int MaxPropertyBytes = 64 * 1024;
    private const int MaxChunksPerEntry = 15; // binary properties per row; a row is at most 1 MiB
    private static readonly TimeSpan CleanUpMinPause = TimeSpan.FromMilliseconds(20);

    /// <summary>Largest encoded entry a row can hold.</summary>
    public const int MaxEntryBytes = MaxPropertyBytes * MaxChunksPerEntry;

    private readonly TableClient _table;
    private readonly BlobContainerClient _blobs;
    private readonly string _partition;
    private readonly ILogger _logger;
    private ETag _metaETag;
    private Task _cleanUp = Task.CompletedTask;
    private Meta _meta;
    private bool _fenced;

    private ReplicaStore(TableClient table, BlobContainerClient blobs, string replicaKey, ILogger logger)
    {
        _table = table;
        _blobs = blobs;
        ReplicaKey = replicaKey;
        _partition = replicaKey.Replace('/', '_'); // '/' is not allowed in table keys
        _logger = logger;
        _meta = new Meta(null, 0, 0, null, 1, 0);
    }

    public string ReplicaKey { get; }

    public bool IsFenced => _fenced;

    /// <summary>Fault injection for tests: runs before each table transaction with its ordinal in this store (from 1).</summary>
    internal Action<int>? BeforeTransaction { get; set; }

    private int _transactions;

    public static async Task<(ReplicaStore Store, ReplicaDurableState State)> OpenAsync(
        TableClient table, BlobContainerClient blobs, string replicaKey, ILogger logger, CancellationToken cancellationToken = default)
    {
        var store = new ReplicaStore(table, blobs, replicaKey, logger);
        var state = await store.LoadAsync(cancellationToken);
        return (store, state);
    }

    /// <summary>
    /// Makes the log end at <paramref name="firstNewIndex"/> - 1, then appends <paramref name="entries"/> from there,
    /// and records <paramref name="hardState"/> when given; atomic per transaction, in log order.
    /// </summary>
    public async Task SaveAsync(byte[]? hardState, long firstNewIndex, IReadOnlyList<ReadOnlyMemory<byte>> entries, CancellationToken cancellationToken = default)
    {
        ThrowIfFenced();
        if (entries.Count > 0 && (firstNewIndex < _meta.FirstIndex || firstNewIndex > _meta.LastIndex + 1))
        {
            throw new InvalidOperationException(
                $"Replica {ReplicaKey}: append at {firstNewIndex} leaves a gap or rewrites compacted log (log is {_meta.FirstIndex}..{_meta.LastIndex}).");
        }

        if (entries.Count == 0)
        {
            if (hardState is not null)
            {
                await CommitAsync([], _meta with { HardState = hardState }, cancellationToken);
            }

            return;
        }

        var next = firstNewIndex;
        var position = 0;
        while (position < entries.Count)
        {
            var actions = new List<TableTransactionAction>();
            var bytes = 0;
            while (position < entries.Count && actions.Count < MaxActionsPerTransaction - 1)
            {
                var data = entries[position];
                if (data.Length > MaxEntryBytes)
                {
                    throw new ArgumentException($"Replica {ReplicaKey}: entry {next} is {data.Length} bytes; at most {MaxEntryBytes} fit a row.");
                }

                if (actions.Count > 0 && bytes + data.Length > MaxTransactionBytes)
                {
                    break;
                }

                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, EntryEntity(next, data)));
                bytes += data.Length;
                next++;
                position++;
            }

            var last = position == entries.Count;
            var meta = _meta with { LastIndex = next - 1, HardState = last && hardState is not null ? hardState : _meta.HardState };
            await CommitAsync(actions, meta, cancellationToken);
        }
    }

    /// <summary>
    /// Whether this store is still the replica's current writer: the meta row is unchanged since this instance last
    /// read or wrote it (a read, no write). False fences this instance like a refused write.
    /// </summary>
    public async Task<bool> IsCurrentAsync(CancellationToken cancellationToken = default)
    {
        if (_fenced)
        {
            return false;
        }

        var response = await _table.GetEntityIfExistsAsync<TableEntity>(_partition, MetaRowKey, ["PartitionKey"], cancellationToken);
        var current = response.HasValue && response.Value is { } meta ? meta.ETag == _metaETag : _metaETag == default;
        if (!current)
        {
            _fenced = true;
            _logger.LogWarning("Replica {ReplicaKey}: another activation wrote since this one last did; this activation stops acting as the replica", ReplicaKey);
        }

        return current;
    }

    /// <summary>
    /// Records a snapshot covering the log up to <paramref name="index"/> and drops the entries it covers. With
    /// <paramref name="discardLog"/> (a snapshot installed from the leader) every entry goes; otherwise (compaction of
    /// the replica's own applied log) the entries after it stay.
    /// </summary>
    public async Task SaveSnapshotAsync(long index, long term, byte[] snapshot, byte[]? hardState, bool discardLog = false, CancellationToken cancellationToken = default)
    {
        ThrowIfFenced();
        var blobName = $"{_partition}/{index:D19}-{Guid.NewGuid():N}";
        var blob = _blobs.GetBlobClient(blobName);
        await blob.UploadAsync(BinaryData.FromBytes(snapshot), overwrite: false, cancellationToken);

        var previous = _meta;
        var keepsSuffix = !discardLog && index < previous.LastIndex && index >= previous.FirstIndex - 1;
        var meta = previous with
        {
            SnapshotIndex = index,
            SnapshotTerm = term,
            SnapshotBlob = blobName,
            FirstIndex = index + 1,
            LastIndex = keepsSuffix ? previous.LastIndex : index,
            HardState = hardState ?? previous.HardState,
        };

        try
        {
            await CommitAsync([], meta, cancellationToken);
        }
        catch
        {
            await blob.DeleteIfExistsAsync(cancellationToken: CancellationToken.None);
            throw;
        }

        // One clean-up at a time, each after the previous one: they are background work.
        _cleanUp = CleanUpAfterAsync(_cleanUp, previous, meta);
    }

    private async Task CommitAsync(List<TableTransactionAction> actions, Meta meta, CancellationToken cancellationToken)
    {
        var metaEntity = meta.ToEntity(_partition);
        var exists = _metaETag != default;
        actions.Add(exists
            ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, metaEntity, _metaETag)
            : new TableTransactionAction(TableTransactionActionType.Add, metaEntity));
        try
        {
            var ordinal = ++_transactions; // counted even without a hook: the ordinal is the store's
            BeforeTransaction?.Invoke(ordinal);
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            var metaResponse = response.Value[actions.Count - 1];
            _metaETag = metaResponse.Headers.ETag ?? throw new InvalidOperationException("Table service returned no ETag for the meta row.");
            _meta = meta;
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            Fence(e);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            Fence(e);
        }
    }

    private void Fence(Exception cause)
    {
        _fenced = true;
        _logger.LogWarning(cause, "Replica {ReplicaKey}: conditional write refused; this activation stops acting as the replica", ReplicaKey);
        throw new ReplicaFencedException(ReplicaKey, cause);
    }

    private void ThrowIfFenced()
    {
        if (_fenced)
        {
            throw new ReplicaFencedException(ReplicaKey);
        }
    }

    private async Task<ReplicaDurableState> LoadAsync(CancellationToken cancellationToken)
    {
        await _table.CreateIfNotExistsAsync(cancellationToken);
        await _blobs.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

        var metaResponse = await _table.GetEntityIfExistsAsync<TableEntity>(_partition, MetaRowKey, cancellationToken: cancellationToken);
        if (!metaResponse.HasValue || metaResponse.Value is null)
        {
            return new ReplicaDurableState(null, 0, 0, null, 1, []);
        }

        var entity = metaResponse.Value;
        _metaETag = entity.ETag;
        _meta = Meta.FromEntity(entity);

        byte[]? snapshot = null;
        if (_meta.SnapshotBlob is not null)
        {
            var content = await _blobs.GetBlobClient(_meta.SnapshotBlob).DownloadContentAsync(cancellationToken);
            snapshot = content.Value.Content.ToArray();
        }

        var entries = new List<byte[]>((int)Math.Max(0, _meta.LastIndex - _meta.FirstIndex + 1));
        if (_meta.LastIndex >= _meta.FirstIndex)
        {
            var from = EntryRowKey(_meta.FirstIndex);
            var to = EntryRowKey(_meta.LastIndex);
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {_partition} and RowKey ge {from} and RowKey le {to}");
            var expected = _meta.FirstIndex;
            await foreach (var row in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                var index = long.Parse(row.RowKey.AsSpan(1));
                if (index != expected)
                {
                    throw new InvalidDataException($"Replica {ReplicaKey}: log row {expected} is missing (found {index}).");
                }

                entries.Add(ReadEntryData(row));
                expected++;
            }

            if (expected != _meta.LastIndex + 1)
            {
                throw new InvalidDataException($"Replica {ReplicaKey}: log ends at {expected - 1}, meta says {_meta.LastIndex}.");
            }
        }

        return new ReplicaDurableState(_meta.HardState, _meta.SnapshotIndex, _meta.SnapshotTerm, snapshot, _meta.FirstIndex, entries);
    }

    private async Task CleanUpAfterAsync(Task earlier, Meta previous, Meta current)
    {
        await earlier; // never throws: CleanUpAsync logs its failures
        await CleanUpAsync(previous, current);
    }

    private async Task CleanUpAsync(Meta previous, Meta current)
    {
        try
        {
            if (previous.SnapshotBlob is not null && previous.SnapshotBlob != current.SnapshotBlob)
            {
                await _blobs.GetBlobClient(previous.SnapshotBlob).DeleteIfExistsAsync();
            }

            // Rows below the new first index are covered by the snapshot; delete them in bounded transactions.
            var end = Math.Min(current.FirstIndex - 1, previous.LastIndex);
            for (var start = previous.FirstIndex; start <= end; start += MaxActionsPerTransaction)
            {
                var actions = new List<TableTransactionAction>();
                for (var i = start; i <= end && actions.Count < MaxActionsPerTransaction; i++)
                {
                    actions.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(_partition, EntryRowKey(i)), ETag.All));
                }

                var started = Stopwatch.GetTimestamp();
                await _table.SubmitTransactionAsync(actions);

                // Leave the storage to the foreground writes between batches (at most half of the time for clean-up): a
                // compaction deletes thousands of rows, and sent back to back they held up appends, acknowledgements
                // and votes on the storage that all replicas share (one Azurite) long enough to lose the leader.
                var elapsed = Stopwatch.GetElapsedTime(started);
                await Task.Delay(elapsed > CleanUpMinPause ? elapsed : CleanUpMinPause);
            }
        }
        catch (Exception e)
        {
            // Leftover rows below FirstIndex are never read; a later compaction may remove them.
            _logger.LogDebug(e, "Replica {ReplicaKey}: clean-up after snapshot left some rows behind", ReplicaKey);
        }
    }

    private TableEntity EntryEntity(long index, ReadOnlyMemory<byte> data)
    {
        var entity = new TableEntity(_partition, EntryRowKey(index));
        var chunk = 0;
        for (var offset = 0; offset < data.Length || chunk == 0; offset += MaxPropertyBytes, chunk++)
        {
            var length = Math.Min(MaxPropertyBytes, data.Length - offset);
            entity["D" + chunk] = data.Slice(offset, length).ToArray();
        }

        return entity;
    }

    private static byte[] ReadEntryData(TableEntity row)
    {
        var total = 0;
        var chunks = new List<byte[]>(1);
        for (var chunk = 0; row.TryGetValue("D" + chunk, out var value) && value is byte[] bytes; chunk++)
        {
            chunks.Add(bytes);
            total += bytes.Length;
        }

        if (chunks.Count == 1)
        {
            return chunks[0];
        }

        var data = new byte[total];
        var offset = 0;
        foreach (var bytes in chunks)
        {
            bytes.CopyTo(data, offset);
            offset += bytes.Length;
        }

        return data;
    }

    private static string EntryRowKey(long index) => "e" + index.ToString("D19", System.Globalization.CultureInfo.InvariantCulture);

    private sealed record Meta(byte[]? HardState, long SnapshotIndex, long SnapshotTerm, string? SnapshotBlob, long FirstIndex, long LastIndex)
    {
        public TableEntity ToEntity(string partition)
        {
            var entity = new TableEntity(partition, MetaRowKey)
            {
                ["SnapshotIndex"] = SnapshotIndex,
                ["SnapshotTerm"] = SnapshotTerm,
                ["FirstIndex"] = FirstIndex,
                ["LastIndex"] = LastIndex,
            };
            if (HardState is not null)
            {
                entity["HardState"] = HardState;
            }

            if (SnapshotBlob is not null)
            {
                entity["SnapshotBlob"] = SnapshotBlob;
            }

            return entity;
        }

        public static Meta FromEntity(TableEntity entity) => new(
            entity.GetBinary("HardState"),
            entity.GetInt64("SnapshotIndex") ?? 0,
            entity.GetInt64("SnapshotTerm") ?? 0,
            entity.GetString("SnapshotBlob"),
            entity.GetInt64("FirstIndex") ?? 1,
            entity.GetInt64("LastIndex") ?? 0);
    }
}
