using System.Buffers.Binary;
using System.Globalization;
using Azure.Data.Tables;

namespace LockService.Storage;

/// <summary>
/// One table row of a replica's log (format 2): a run of consecutive entries from <see cref="FirstIndex"/>, packed as
/// [int32 little-endian length][bytes] each, split over binary properties D0..D14 of at most 64 KiB (Azure Table's
/// limit per binary property; a row is at most 1 MiB). A batch of appends is one row, so it costs one small
/// transaction instead of one entity per entry.
/// </summary>
internal sealed record LogRow(long FirstIndex, int Count)
{
    public const string KeyPrefix = "b";
    public const int MaxPropertyBytes = 64 * 1024;
    public const int MaxProperties = 15;

    /// <summary>Payload a row can hold (length prefixes included).</summary>
    public const int MaxPayloadBytes = MaxPropertyBytes * MaxProperties;

    public const int LengthPrefixBytes = sizeof(int);

    public long LastIndex => FirstIndex + Count - 1;

    public string RowKey => Key(FirstIndex);

    /// <summary>Row keys sort like the indexes (fixed width).</summary>
    public static string Key(long firstIndex) => KeyPrefix + firstIndex.ToString("D19", CultureInfo.InvariantCulture);

    public static bool IsRowKey(string rowKey) => rowKey.Length == 20 && rowKey.StartsWith(KeyPrefix, StringComparison.Ordinal);

    /// <summary>The entity holding <paramref name="entries"/>[from..from+count), the first at <paramref name="firstIndex"/>.</summary>
    public static TableEntity ToEntity(string partition, long firstIndex, IReadOnlyList<ReadOnlyMemory<byte>> entries, int from, int count)
    {
        var total = 0;
        for (var i = from; i < from + count; i++)
        {
            total += LengthPrefixBytes + entries[i].Length;
        }

        var payload = new byte[total];
        var offset = 0;
        for (var i = from; i < from + count; i++)
        {
            var data = entries[i].Span;
            BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(offset), data.Length);
            data.CopyTo(payload.AsSpan(offset + LengthPrefixBytes));
            offset += LengthPrefixBytes + data.Length;
        }

        var entity = new TableEntity(partition, Key(firstIndex)) { ["N"] = count };
        var property = 0;
        for (var start = 0; start < payload.Length || property == 0; start += MaxPropertyBytes, property++)
        {
            var length = Math.Min(MaxPropertyBytes, payload.Length - start);
            entity["D" + property.ToString(CultureInfo.InvariantCulture)] = start == 0 && length == payload.Length ? payload : payload.AsSpan(start, length).ToArray();
        }

        return entity;
    }

    public static LogRow FromEntity(TableEntity entity) =>
        new(long.Parse(entity.RowKey.AsSpan(KeyPrefix.Length), CultureInfo.InvariantCulture), entity.GetInt32("N") ?? 0);

    /// <summary>The entries a row holds, in order; throws <see cref="InvalidDataException"/> on a malformed row.</summary>
    public static List<byte[]> ReadEntries(TableEntity entity, int count, string replicaKey)
    {
        var payload = Payload(entity);
        var entries = new List<byte[]>(count);
        var offset = 0;
        while (offset < payload.Length)
        {
            var length = offset + LengthPrefixBytes <= payload.Length ? BinaryPrimitives.ReadInt32LittleEndian(payload.AsSpan(offset)) : -1;
            if (length < 0 || offset + LengthPrefixBytes + length > payload.Length)
            {
                throw new InvalidDataException($"Replica {replicaKey}: log row {entity.RowKey} is malformed at byte {offset}.");
            }

            entries.Add(payload.AsSpan(offset + LengthPrefixBytes, length).ToArray());
            offset += LengthPrefixBytes + length;
        }

        if (entries.Count != count)
        {
            throw new InvalidDataException($"Replica {replicaKey}: log row {entity.RowKey} holds {entries.Count} entries, says {count}.");
        }

        return entries;
    }

    private static byte[] Payload(TableEntity entity)
    {
        var chunks = new List<byte[]>(1);
        var total = 0;
        for (var property = 0; entity.TryGetValue("D" + property.ToString(CultureInfo.InvariantCulture), out var value) && value is byte[] bytes; property++)
        {
            chunks.Add(bytes);
            total += bytes.Length;
        }

        if (chunks.Count == 1)
        {
            return chunks[0];
        }

        var payload = new byte[total];
        var offset = 0;
        foreach (var bytes in chunks)
        {
            bytes.CopyTo(payload, offset);
            offset += bytes.Length;
        }

        return payload;
    }
}
