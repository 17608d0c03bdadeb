using System.Buffers;

namespace LockService.Raft;

/// <summary>
/// The binary form of Raft messages, log entries, hard state and snapshot metadata, for the wire and for storage.
/// Every top-level encoding starts with a version byte, so a reader refuses what it does not understand instead of
/// misreading it. Numbers are unsigned LEB128 varints (indexes and terms are small most of the time). Decoded entry
/// data and snapshot chunks are slices of the input buffer, not copies: keep the buffer unchanged while they live.
/// </summary>
public static class RaftCodec
{
    public const byte Version = 1;

    /// <summary>Largest snapshot a receiver accepts (it allocates the whole size when the first chunk arrives).</summary>
    public const int MaxSnapshotBytes = 1 << 30;

    // Fewest bytes one item can take; a decoded count above remaining / this is a lie, refused before any allocation.
    private const int MinMessageBytes = 4; // tag, from, to, term
    private const int MinEntryBytes = 3; // term, type, data length
    private const int MinStoredEntryBytes = 4; // index, then an entry body

    private enum Tag : byte
    {
        AppendEntries = 1,
        AppendResponse = 2,
        RequestVote = 3,
        VoteResponse = 4,
        Heartbeat = 5,
        HeartbeatResponse = 6,
        InstallSnapshot = 7,
        SnapshotResponse = 8,
        TimeoutNow = 9,
    }

    /// <summary>Writes a batch of messages (for one destination, typically) as one versioned block.</summary>
    public static void WriteMessages(IBufferWriter<byte> writer, IReadOnlyList<RaftMessage> messages)
    {
        var output = new Writer(writer);
        output.Byte(Version);
        output.Varint(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            WriteMessageBody(ref output, messages[i]);
        }
    }

    public static byte[] EncodeMessages(IReadOnlyList<RaftMessage> messages)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        WriteMessages(buffer, messages);
        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] EncodeMessage(RaftMessage message) => EncodeMessages([message]);

    public static List<RaftMessage> DecodeMessages(ReadOnlyMemory<byte> bytes)
    {
        var input = new Reader(bytes);
        input.ExpectVersion();
        var count = input.Count(MinMessageBytes);
        var messages = new List<RaftMessage>(count);
        for (var i = 0; i < count; i++)
        {
            messages.Add(ReadMessageBody(ref input));
        }

        input.ExpectEnd();
        return messages;
    }

    public static RaftMessage DecodeMessage(ReadOnlyMemory<byte> bytes)
    {
        var messages = DecodeMessages(bytes);
        return messages.Count == 1 ? messages[0] : throw new InvalidDataException($"Expected one Raft message, found {messages.Count}.");
    }

    /// <summary>Entries for storage: each carries its own index and term.</summary>
    public static void WriteEntries(IBufferWriter<byte> writer, ReadOnlySpan<LogEntry> entries)
    {
        var output = new Writer(writer);
        output.Byte(Version);
        output.Varint(entries.Length);
        foreach (ref readonly var entry in entries)
        {
            output.Varint(entry.Index);
            WriteEntryBody(ref output, entry);
        }
    }

    public static byte[] EncodeEntries(ReadOnlySpan<LogEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + entries.Length * 24);
        WriteEntries(buffer, entries);
        return buffer.WrittenSpan.ToArray();
    }

    public static LogEntry[] DecodeEntries(ReadOnlyMemory<byte> bytes)
    {
        var input = new Reader(bytes);
        input.ExpectVersion();
        var entries = new LogEntry[input.Count(MinStoredEntryBytes)];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = ReadEntryBody(ref input, input.Long());
        }

        input.ExpectEnd();
        return entries;
    }

    public static byte[] EncodeHardState(HardState state)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        var output = new Writer(buffer);
        output.Byte(Version);
        output.Varint(state.Term);
        output.Varint(state.VotedFor is { } vote ? vote + 1L : 0);
        output.Varint(state.Commit);
        return buffer.WrittenSpan.ToArray();
    }

    public static HardState DecodeHardState(ReadOnlyMemory<byte> bytes)
    {
        var input = new Reader(bytes);
        input.ExpectVersion();
        var term = input.Long();
        var vote = input.Int();
        var commit = input.Long();
        input.ExpectEnd();
        return new HardState(term, vote == 0 ? null : vote - 1, commit);
    }

    public static byte[] EncodeSnapshotMetadata(SnapshotMetadata metadata)
    {
        var buffer = new ArrayBufferWriter<byte>(24);
        var output = new Writer(buffer);
        output.Byte(Version);
        output.Varint(metadata.LastIncludedIndex);
        output.Varint(metadata.LastIncludedTerm);
        return buffer.WrittenSpan.ToArray();
    }

    public static SnapshotMetadata DecodeSnapshotMetadata(ReadOnlyMemory<byte> bytes)
    {
        var input = new Reader(bytes);
        input.ExpectVersion();
        var metadata = new SnapshotMetadata(input.Long(), input.Long());
        input.ExpectEnd();
        return metadata;
    }

    private static void WriteMessageBody(ref Writer output, RaftMessage message)
    {
        output.Byte((byte)TagOf(message));
        output.Varint(message.From);
        output.Varint(message.To);
        output.Varint(message.Term);
        switch (message)
        {
            case AppendEntries append:
                output.Varint(append.PrevLogIndex);
                output.Varint(append.PrevLogTerm);
                output.Varint(append.LeaderCommit);
                output.Varint(append.Entries.Length);
                foreach (ref readonly var entry in append.Entries.Span)
                {
                    // Indexes follow from PrevLogIndex, so only terms, types and data go on the wire.
                    WriteEntryBody(ref output, entry);
                }

                break;
            case AppendResponse response:
                output.Byte(response.Reject ? (byte)1 : (byte)0);
                output.Varint(response.Index);
                output.Varint(response.ConflictIndex);
                output.Varint(response.ConflictTerm);
                break;
            case RequestVote request:
                output.Byte((byte)((request.PreVote ? 1 : 0) | (request.Transfer ? 2 : 0)));
                output.Varint(request.LastLogIndex);
                output.Varint(request.LastLogTerm);
                break;
            case VoteResponse response:
                output.Byte((byte)((response.PreVote ? 1 : 0) | (response.Granted ? 2 : 0)));
                break;
            case Heartbeat heartbeat:
                output.Varint(heartbeat.Commit);
                output.Varint(heartbeat.Round);
                break;
            case HeartbeatResponse response:
                output.Varint(response.Round);
                break;
            case InstallSnapshot chunk:
                output.Varint(chunk.Snapshot.LastIncludedIndex);
                output.Varint(chunk.Snapshot.LastIncludedTerm);
                output.Varint(chunk.TotalBytes);
                output.Varint(chunk.Offset);
                output.Bytes(chunk.Chunk.Span);
                break;
            case SnapshotResponse response:
                output.Varint(response.SnapshotIndex);
                output.Varint(response.NextOffset);
                break;
            case TimeoutNow:
                break;
        }
    }

    private static RaftMessage ReadMessageBody(ref Reader input)
    {
        var tag = (Tag)input.Byte();
        var from = input.Int();
        var to = input.Int();
        var term = input.Long();
        switch (tag)
        {
            case Tag.AppendEntries:
            {
                var prevIndex = input.Long();
                var prevTerm = input.Long();
                var commit = input.Long();
                var count = input.Count(MinEntryBytes);
                var entries = count == 0 ? [] : new LogEntry[count];
                for (var i = 0; i < count; i++)
                {
                    entries[i] = ReadEntryBody(ref input, prevIndex + 1 + i);
                }

                return new AppendEntries(from, to, term, prevIndex, prevTerm, commit, entries);
            }

            case Tag.AppendResponse:
                return new AppendResponse(from, to, term, input.Byte() != 0, input.Long(), input.Long(), input.Long());
            case Tag.RequestVote:
            {
                var flags = input.Byte();
                return new RequestVote(from, to, term, input.Long(), input.Long(), (flags & 1) != 0, (flags & 2) != 0);
            }

            case Tag.VoteResponse:
            {
                var flags = input.Byte();
                return new VoteResponse(from, to, term, (flags & 1) != 0, (flags & 2) != 0);
            }

            case Tag.Heartbeat:
                return new Heartbeat(from, to, term, input.Long(), input.Long());
            case Tag.HeartbeatResponse:
                return new HeartbeatResponse(from, to, term, input.Long());
            case Tag.InstallSnapshot:
                return ReadSnapshotChunk(ref input, from, to, term);
            case Tag.SnapshotResponse:
                return new SnapshotResponse(from, to, term, input.Long(), input.Int());
            case Tag.TimeoutNow:
                return new TimeoutNow(from, to, term);
            default:
                throw new InvalidDataException($"Unknown Raft message tag {(byte)tag}.");
        }
    }

    private static InstallSnapshot ReadSnapshotChunk(ref Reader input, int from, int to, long term)
    {
        var metadata = new SnapshotMetadata(input.Long(), input.Long());
        var totalBytes = input.Int();
        var offset = input.Int();
        var chunk = input.Bytes();

        // The receiver allocates TotalBytes up front, so a claimed size is bounded here, before anyone trusts it.
        if (totalBytes > MaxSnapshotBytes || (long)offset + chunk.Length > totalBytes)
        {
            throw new InvalidDataException($"Snapshot chunk [{offset}..{(long)offset + chunk.Length}) of {totalBytes} bytes is out of bounds (at most {MaxSnapshotBytes}).");
        }

        return new InstallSnapshot(from, to, term, metadata, totalBytes, offset, chunk);
    }

    private static void WriteEntryBody(ref Writer output, in LogEntry entry)
    {
        output.Varint(entry.Term);
        output.Byte((byte)entry.Type);
        output.Bytes(entry.Data.Span);
    }

    private static LogEntry ReadEntryBody(ref Reader input, long index)
    {
        var term = input.Long();
        var type = (EntryType)input.Byte();
        if (type is not (EntryType.Normal or EntryType.NoOp))
        {
            throw new InvalidDataException($"Unknown Raft entry type {(byte)type}.");
        }

        return new LogEntry(index, term, type, input.Bytes());
    }

    private static Tag TagOf(RaftMessage message) => message switch
    {
        AppendEntries => Tag.AppendEntries,
        AppendResponse => Tag.AppendResponse,
        RequestVote => Tag.RequestVote,
        VoteResponse => Tag.VoteResponse,
        Heartbeat => Tag.Heartbeat,
        HeartbeatResponse => Tag.HeartbeatResponse,
        InstallSnapshot => Tag.InstallSnapshot,
        SnapshotResponse => Tag.SnapshotResponse,
        TimeoutNow => Tag.TimeoutNow,
        _ => throw new ArgumentException($"No encoding for message type {message.GetType().Name}.", nameof(message)),
    };

    private readonly ref struct Writer(IBufferWriter<byte> writer)
    {
        private readonly IBufferWriter<byte> writer = writer;

        public void Byte(byte value)
        {
            writer.GetSpan(1)[0] = value;
            writer.Advance(1);
        }

        public void Varint(long value)
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Raft numbers on the wire are never negative.");
            }

            var span = writer.GetSpan(10);
            var length = 0;
            var rest = (ulong)value;
            while (rest >= 0x80)
            {
                span[length++] = (byte)(rest | 0x80);
                rest >>= 7;
            }

            span[length++] = (byte)rest;
            writer.Advance(length);
        }

        public void Bytes(ReadOnlySpan<byte> bytes)
        {
            Varint(bytes.Length);
            if (!bytes.IsEmpty)
            {
                bytes.CopyTo(writer.GetSpan(bytes.Length));
                writer.Advance(bytes.Length);
            }
        }
    }

    private ref struct Reader(ReadOnlyMemory<byte> memory)
    {
        private readonly ReadOnlyMemory<byte> memory = memory;
        private int position;

        public void ExpectVersion()
        {
            var version = Byte();
            if (version != Version)
            {
                throw new InvalidDataException($"Raft encoding version {version} is not supported (this build reads version {Version}).");
            }
        }

        public readonly void ExpectEnd()
        {
            if (position != memory.Length)
            {
                throw new InvalidDataException($"{memory.Length - position} unexpected bytes after a Raft encoding.");
            }
        }

        public byte Byte()
        {
            if (position >= memory.Length)
            {
                throw Truncated();
            }

            return memory.Span[position++];
        }

        public long Long()
        {
            var span = memory.Span;
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (position >= span.Length)
                {
                    throw Truncated();
                }

                var b = span[position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value <= long.MaxValue ? (long)value : throw new InvalidDataException("Raft varint out of range.");
                }
            }

            throw new InvalidDataException("Raft varint is too long.");
        }

        public int Int()
        {
            var value = Long();
            return value <= int.MaxValue ? (int)value : throw new InvalidDataException($"Raft number {value} exceeds an int.");
        }

        /// <summary>A count of items of at least <paramref name="minBytesEach"/> bytes each, bounded by what is left of the input.</summary>
        public int Count(int minBytesEach)
        {
            var count = Long();
            var remaining = memory.Length - position;
            return count <= remaining / minBytesEach
                ? (int)count
                : throw new InvalidDataException($"A count of {count} items cannot fit in the {remaining} bytes left.");
        }

        public ReadOnlyMemory<byte> Bytes()
        {
            var length = Int();
            if (length > memory.Length - position)
            {
                throw Truncated();
            }

            var slice = memory.Slice(position, length);
            position += length;
            return slice;
        }

        private static InvalidDataException Truncated() => new("Raft encoding ends early.");
    }
}
