using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;

namespace LockService.Storage;

/// <summary>
/// The durable state of one Raft replica in Azure Table storage: the log in rows of consecutive entries
/// (<see cref="LogRow"/>: a batch of appends is one row) plus a "meta" row with the hard state, the log bounds, the
/// snapshot pointer and the format version; snapshots live in blobs. Every write is an entity group transaction that
/// also replaces the meta row under its ETag, so a write costs in proportion to its batch (never to the log), is
/// atomic, and is refused when another activation wrote first (then <see cref="ReplicaFencedException"/>, and this
/// instance refuses every later write too).
/// <para>
/// Which row holds entry i: the row with the highest first index at or below i. An append at index k replaces the rows
/// that start at k or later (deleted in its first transaction) and starts a row at k, so a row that began before k and
/// ran past it is shadowed from k on; rows past the meta row's LastIndex are leftovers of a truncated suffix, ignored
/// and deleted by the next append over them. Rows entirely below FirstIndex go after a snapshot, in the background.
/// </para>
/// <para>
/// A small append goes into the log's last row: the row is rewritten with its entries and the new ones (up to
/// <see cref="PackedRowEntries"/> entries and <see cref="PackedRowBytes"/>), still one row and the meta row per
/// transaction. A busy log appends one or two entries at a time, and a row per append left tens of thousands of rows
/// per replica: every snapshot then deleted thousands, and the emulator, which saves its whole database every few
/// seconds, stalled every replica's writes for 300-500 ms each time (docs/RELIABILITY.md, cause 20).
/// </para>
/// </summary>
public sealed class ReplicaStore
{
    private const string MetaRowKey = "meta";

    /// <summary>The log format this build reads and writes (1 was one row per entry, before rows were packed).</summary>
    private const int LogFormat = 2;

    private const int MaxActionsPerTransaction = 100;
    private const int MaxTransactionBytes = 3 * 1024 * 1024; // below the service's 4 MiB per transaction
    private static readonly TimeSpan CleanUpMinPause = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Rows one clean-up transaction deletes. Storage that serves one request at a time (Azurite is one Node.js
    /// thread) holds every foreground write behind a delete batch: 100 rows a batch put 100-200 ms on the p99 of a lock
    /// pair at C=8 after each snapshot; 20 keep each hold short (docs/PERFORMANCE.md, "Clean-up after a snapshot").
    /// </summary>
    internal const int CleanUpRowsPerTransaction = 20;

    /// <summary>Past this many rows still to delete, clean-up stops yielding three quarters of the storage's time, so it
    /// never falls behind the rows a busy log writes.</summary>
    private const int CleanUpBacklogRows = 10_000;

    /// <summary>Most bytes (length prefixes included) of a row that appends rewrite: small enough that rewriting it
    /// costs an append little next to the transaction itself.</summary>
    internal const int PackedRowBytes = 16 * 1024;

    /// <summary>Largest encoded entry a row can hold.</summary>
    public const int MaxEntryBytes = LogRow.MaxPayloadBytes - LogRow.LengthPrefixBytes;

    private readonly TableClient _table;
    private readonly BlobContainerClient _blobs;
    private readonly string _partition;
    private readonly ILogger _logger;

    // Every log row in storage, by first index (live, shadowed, leftover, or waiting for clean-up).
    private readonly SortedList<long, LogRow> _rows = [];
    // The row holding the log's last entry, when an append may still pack into it: its first index and its entries up
    // to LastIndex (copies, the caller's buffers are not ours to keep). Empty when unknown or full.
    private long _tailFirst;
    private readonly List<byte[]> _tail = [];
    private ETag _metaETag;
    private Task _cleanUp = Task.CompletedTask;
    private Meta _meta;
    private bool _fenced;

    // This instance's latest table transaction and how many it started: a currency check must not mistake this
    // instance's own write, landed but not yet answered, for another activation's.
    private Task? _commitDone;
    private long _commitsStarted;

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

    /// <summary>Test hook: called with the number of rows before each clean-up transaction.</summary>
    internal Action<int>? BeforeCleanUpTransaction { get; set; }

    /// <summary>Fault injection for tests: runs after a table transaction landed, before this store takes in its answer.</summary>
    internal Func<Task>? AfterTransactionLanded { get; set; }

    /// <summary>Most entries packed into one row (tests lower it to make a batch span rows and transactions).</summary>
    internal int MaxEntriesPerRow { get; set; } = 4096;

    /// <summary>Most entries an append packs into the log's last row (tests set 0 to give every append its own row).</summary>
    internal int PackedRowEntries { get; set; } = 64;

    /// <summary>Most log rows written in one transaction (tests lower it).</summary>
    internal int MaxRowsPerTransaction { get; set; } = MaxActionsPerTransaction - 1;

    /// <summary>The background clean-up of rows covered by the last snapshot (tests await it).</summary>
    internal Task CleanUp => _cleanUp;

    /// <summary>Table transactions this store submitted (writes, not clean-up): for tests and benchmarks.</summary>
    public int Transactions => _transactions;

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
    /// and records <paramref name="hardState"/> when given; atomic per transaction, in log order. A batch that fits one
    /// transaction (up to 3 MiB) is one transaction of one or a few rows.
    /// </summary>
    public async Task SaveAsync(byte[]? hardState, long firstNewIndex, IReadOnlyList<ReadOnlyMemory<byte>> entries, CancellationToken cancellationToken = default)
    {
        ThrowIfFenced();
        if (entries.Count > 0 && (firstNewIndex < _meta.FirstIndex || firstNewIndex > _meta.LastIndex + 1))
        {
            throw new InvalidOperationException(
                $"Replica {ReplicaKey}: append at {firstNewIndex} leaves a gap or rewrites compacted log (log is {_meta.FirstIndex}..{_meta.LastIndex}).");
        }

        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].Length > MaxEntryBytes)
            {
                throw new ArgumentException($"Replica {ReplicaKey}: entry {firstNewIndex + i} is {entries[i].Length} bytes; at most {MaxEntryBytes} fit a row.");
            }
        }

        if (entries.Count == 0)
        {
            if (hardState is not null)
            {
                await CommitAsync([], _meta with { HardState = hardState }, cancellationToken);
            }

            return;
        }

        // An append that packs into the last row is an append at that row's start, of its kept entries and the new ones.
        var (start, batch) = PackIntoTail(firstNewIndex, entries);
        _tail.Clear(); // unknown until a write lands: a failed one may or may not have replaced the row

        // Rows that start after the append point hold the suffix it replaces (one starting at it is rewritten): they go.
        var stale = new Queue<long>(RowsAfter(start));
        while (stale.Count > MaxActionsPerTransaction - 2)
        {
            var deletes = new List<TableTransactionAction>();
            while (deletes.Count < MaxActionsPerTransaction - 1)
            {
                deletes.Add(DeleteRow(stale.Dequeue()));
            }

            // A shorter log is a state the replica can restart from: the entries it drops were being replaced.
            await CommitAsync(deletes, _meta with { LastIndex = start - 1 }, cancellationToken);
        }

        var next = start;
        var position = 0;
        var lastRow = (First: 0L, Position: 0, Count: 0);
        while (position < batch.Count)
        {
            var actions = new List<TableTransactionAction>();
            var deletes = stale.Count; // room kept for them: they go into this transaction, after its rows
            var transactionBytes = 0;
            var rows = 0;
            while (position < batch.Count && rows < MaxRowsPerTransaction && actions.Count + deletes < MaxActionsPerTransaction - 1)
            {
                var (count, bytes) = RowExtent(batch, position, MaxTransactionBytes - transactionBytes);
                if (count == 0)
                {
                    break; // the next entry does not fit this transaction
                }

                var row = LogRow.ToEntity(_partition, next, batch, position, count);
                lastRow = (next, position, count);
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, row));
                transactionBytes += bytes;
                rows++;
                next += count;
                position += count;
            }

            // One action per entity in a transaction: a stale row whose key this transaction rewrites needs no delete.
            var upserted = actions.Select(action => action.Entity.RowKey).ToHashSet(StringComparer.Ordinal);
            while (stale.Count > 0)
            {
                var first = stale.Dequeue();
                if (!upserted.Contains(LogRow.Key(first)))
                {
                    actions.Add(DeleteRow(first));
                }
            }

            var last = position == batch.Count;
            var meta = _meta with { LastIndex = next - 1, HardState = last && hardState is not null ? hardState : _meta.HardState };
            await CommitAsync(actions, meta, cancellationToken);
        }

        if (lastRow.Count < PackedRowEntries)
        {
            _tailFirst = lastRow.First;
            for (var i = lastRow.Position; i < lastRow.Position + lastRow.Count; i++)
            {
                _tail.Add(batch[i].ToArray());
            }
        }
    }

    /// <summary>
    /// The append to make for one at <paramref name="firstNewIndex"/>: into the log's last row when that row starts
    /// inside the live log before the append point and the result stays one small row in one transaction (so no
    /// write in between can leave the log shorter than what was already stored); otherwise as given.
    /// </summary>
    private (long Start, IReadOnlyList<ReadOnlyMemory<byte>> Batch) PackIntoTail(long firstNewIndex, IReadOnlyList<ReadOnlyMemory<byte>> entries)
    {
        var kept = firstNewIndex - _tailFirst;
        var packable = _tail.Count > 0
            && _tailFirst >= _meta.FirstIndex
            && _tailFirst + _tail.Count - 1 == _meta.LastIndex
            && kept > 0 && kept <= _tail.Count
            && kept + entries.Count <= Math.Min(PackedRowEntries, MaxEntriesPerRow)
            && RowsAfter(_tailFirst).Count <= MaxActionsPerTransaction - 2;
        if (!packable)
        {
            return (firstNewIndex, entries);
        }

        var bytes = 0L;
        var batch = new List<ReadOnlyMemory<byte>>((int)kept + entries.Count);
        for (var i = 0; i < kept; i++)
        {
            batch.Add(_tail[i]);
            bytes += LogRow.LengthPrefixBytes + _tail[i].Length;
        }

        foreach (var entry in entries)
        {
            batch.Add(entry);
            bytes += LogRow.LengthPrefixBytes + entry.Length;
        }

        return bytes <= PackedRowBytes ? (_tailFirst, batch) : (firstNewIndex, entries);
    }

    /// <summary>The first indexes of the rows that start after <paramref name="first"/>, in order (the last few rows at
    /// most, as a rule: only a truncated suffix leaves rows past the log's end).</summary>
    private List<long> RowsAfter(long first)
    {
        var keys = _rows.Keys;
        var from = keys.Count;
        while (from > 0 && keys[from - 1] > first)
        {
            from--;
        }

        var after = new List<long>(keys.Count - from);
        for (var i = from; i < keys.Count; i++)
        {
            after.Add(keys[i]);
        }

        return after;
    }

    /// <summary>How many entries from <paramref name="position"/> make the next row, within <paramref name="budget"/> bytes.</summary>
    private (int Count, int Bytes) RowExtent(IReadOnlyList<ReadOnlyMemory<byte>> entries, int position, int budget)
    {
        var limit = Math.Min(budget, LogRow.MaxPayloadBytes);
        var count = 0;
        var bytes = 0;
        while (position + count < entries.Count && count < MaxEntriesPerRow)
        {
            var size = LogRow.LengthPrefixBytes + entries[position + count].Length;
            if (bytes + size > limit)
            {
                break;
            }

            bytes += size;
            count++;
        }

        return (count, bytes);
    }

    private TableTransactionAction DeleteRow(long firstIndex) =>
        new(TableTransactionActionType.Delete, new TableEntity(_partition, LogRow.Key(firstIndex)), ETag.All);

    /// <summary>
    /// Whether this store is still the replica's current writer: the meta row is unchanged since this instance last
    /// read or wrote it (a read, no write). False fences this instance like a refused write.
    /// <para>
    /// This instance's own writes run beside the check: one may land in storage before its answer (and the new ETag)
    /// reaches this instance, and a check that read the row in between would take this activation's own write for
    /// another's. So a mismatch counts only when no write of this instance overlapped the read; otherwise the check
    /// waits for that write and reads again (and, if writes keep overlapping, answers "unknown" by throwing).
    /// </para>
    /// </summary>
    public async Task<bool> IsCurrentAsync(CancellationToken cancellationToken = default)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            if (_commitDone is { IsCompleted: false } inFlight)
            {
                await inFlight; // never faults: the write's own caller handles its failure (a refused one fences)
            }

            if (_fenced)
            {
                return false;
            }

            var commitsBefore = _commitsStarted;
            var response = await _table.GetEntityIfExistsAsync<TableEntity>(_partition, MetaRowKey, ["PartitionKey"], cancellationToken);
            var current = response.HasValue && response.Value is { } meta ? meta.ETag == _metaETag : _metaETag == default;
            if (current)
            {
                return true;
            }

            if (_commitsStarted == commitsBefore && _commitDone is not { IsCompleted: false })
            {
                _fenced = true;
                _logger.LogWarning("Replica {ReplicaKey}: another activation wrote since this one last did; this activation stops acting as the replica", ReplicaKey);
                return false;
            }
        }

        throw new TimeoutException($"Replica {ReplicaKey}: its own writes kept overlapping the check that it is the current activation.");
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

        if (discardLog || _tailFirst < meta.FirstIndex)
        {
            _tail.Clear(); // the row is (partly) covered now: the next append starts a row of its own
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
        // Completed once this instance has taken in the outcome (its new ETag, or its fencing).
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _commitDone = done.Task;
        _commitsStarted++;
        try
        {
            var ordinal = ++_transactions; // counted even without a hook: the ordinal is the store's
            BeforeTransaction?.Invoke(ordinal);
            var response = await _table.SubmitTransactionAsync(actions, cancellationToken);
            if (AfterTransactionLanded is { } landed)
            {
                await landed();
            }

            var metaResponse = response.Value[actions.Count - 1];
            _metaETag = metaResponse.Headers.ETag ?? throw new InvalidOperationException("Table service returned no ETag for the meta row.");
            _meta = meta;
            TrackRows(actions);
        }
        catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
        {
            Fence(e);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            Fence(e);
        }
        finally
        {
            done.TrySetResult();
        }
    }

    /// <summary>Keeps <see cref="_rows"/> in step with a transaction that succeeded.</summary>
    private void TrackRows(List<TableTransactionAction> actions)
    {
        foreach (var action in actions)
        {
            if (action.Entity is not TableEntity entity || !LogRow.IsRowKey(entity.RowKey))
            {
                continue;
            }

            var row = LogRow.FromEntity(entity);
            if (action.ActionType == TableTransactionActionType.Delete)
            {
                _rows.Remove(row.FirstIndex);
            }
            else
            {
                _rows[row.FirstIndex] = row;
            }
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
        var format = entity.GetInt32("Format") ?? 1;
        if (format != LogFormat)
        {
            throw new InvalidDataException(
                $"Replica {ReplicaKey}: its log is stored in format {format} and this build reads format {LogFormat} " +
                "(rows of packed entries since format 2). Start from empty storage (development data: delete the Azurite data " +
                "folder or the table), or run the build that wrote it.");
        }

        _metaETag = entity.ETag;
        _meta = Meta.FromEntity(entity);

        byte[]? snapshot = null;
        if (_meta.SnapshotBlob is not null)
        {
            var content = await _blobs.GetBlobClient(_meta.SnapshotBlob).DownloadContentAsync(cancellationToken);
            snapshot = content.Value.Content.ToArray();
        }

        var entries = new List<byte[]>((int)Math.Max(0, _meta.LastIndex - _meta.FirstIndex + 1));
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {_partition} and RowKey ge {LogRow.KeyPrefix} and RowKey lt {"c"}");
        var rows = new List<(LogRow Row, TableEntity Entity)>();
        await foreach (var rowEntity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            var row = LogRow.FromEntity(rowEntity);
            _rows[row.FirstIndex] = row;
            rows.Add((row, rowEntity)); // the service returns them in row key order: by first index
        }

        // Entry i comes from the row with the highest first index at or below i (later rows shadow earlier ones).
        var expected = _meta.FirstIndex;
        for (var r = 0; r < rows.Count && expected <= _meta.LastIndex; r++)
        {
            var (row, rowEntity) = rows[r];
            var shadowedFrom = r + 1 < rows.Count ? rows[r + 1].Row.FirstIndex : long.MaxValue;
            var end = Math.Min(Math.Min(row.LastIndex, shadowedFrom - 1), _meta.LastIndex);
            if (end < expected)
            {
                continue;
            }

            if (row.FirstIndex > expected)
            {
                break; // a gap: reported below
            }

            var held = LogRow.ReadEntries(rowEntity, row.Count, ReplicaKey);
            for (var index = expected; index <= end; index++)
            {
                entries.Add(held[(int)(index - row.FirstIndex)]);
            }

            if (end == _meta.LastIndex && row.FirstIndex >= _meta.FirstIndex && end - row.FirstIndex + 1 < PackedRowEntries)
            {
                _tailFirst = row.FirstIndex;
                _tail.AddRange(held.Take((int)(end - row.FirstIndex + 1)));
            }

            expected = end + 1;
        }

        if (expected != _meta.LastIndex + 1)
        {
            throw new InvalidDataException($"Replica {ReplicaKey}: log entry {expected} is missing (meta says the log is {_meta.FirstIndex}..{_meta.LastIndex}).");
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

            // Rows entirely below the new first index are covered by the snapshot; delete them in bounded transactions.
            var covered = _rows.Values.Where(row => row.LastIndex < current.FirstIndex).Select(row => row.FirstIndex).ToList();
            for (var start = 0; start < covered.Count; start += CleanUpRowsPerTransaction)
            {
                var batch = covered.Skip(start).Take(CleanUpRowsPerTransaction).ToList();
                var actions = batch.Select(DeleteRow).ToList();
                var started = Stopwatch.GetTimestamp();
                BeforeCleanUpTransaction?.Invoke(actions.Count);
                await _table.SubmitTransactionAsync(actions);
                foreach (var first in batch)
                {
                    _rows.Remove(first);
                }

                // Leave the storage to the foreground writes between batches (clean-up takes a quarter of the time, or
                // half with a backlog): a compaction deletes thousands of rows, and sent back to back they held up
                // appends, acknowledgements and votes on the storage that all replicas share (one Azurite) long
                // enough to lose the leader.
                var elapsed = Stopwatch.GetElapsedTime(started) * (covered.Count - start > CleanUpBacklogRows ? 1 : 3);
                await Task.Delay(elapsed > CleanUpMinPause ? elapsed : CleanUpMinPause);
            }
        }
        catch (Exception e)
        {
            // Leftover rows below FirstIndex are never read; a later compaction may remove them.
            _logger.LogDebug(e, "Replica {ReplicaKey}: clean-up after snapshot left some rows behind", ReplicaKey);
        }
    }

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
                ["Format"] = LogFormat,
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
