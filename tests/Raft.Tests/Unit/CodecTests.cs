using System.Buffers;

namespace LockService.Raft.Tests.Unit;

/// <summary><see cref="RaftCodec"/>: everything decodes to what was encoded; bad input is refused, not misread.</summary>
public sealed class CodecTests
{
    public static TheoryData<RaftMessage> EveryMessageType => new()
    {
        new AppendEntries(0, 1, 7, 41, 6, 40, new[] { Entry(42, 6, "a"), new LogEntry(43, 7, EntryType.NoOp, default), Entry(44, 7, "") }),
        new AppendEntries(2, 0, 1, 0, 0, 0, ReadOnlyMemory<LogEntry>.Empty),
        new AppendResponse(1, 0, 7, Reject: true, 44, 40, 5),
        new AppendResponse(1, 0, 7, Reject: false, 44, 0, 0),
        new RequestVote(4, 3, long.MaxValue, 1L << 40, 3, PreVote: true, Transfer: false),
        new RequestVote(4, 3, 9, 100, 8, PreVote: false, Transfer: true),
        new VoteResponse(3, 4, 9, PreVote: true, Granted: true),
        new VoteResponse(3, 4, 9, PreVote: false, Granted: false),
        new Heartbeat(0, 2, 3, 99, 12),
        new HeartbeatResponse(2, 0, 3, 12),
        new InstallSnapshot(0, 1, 5, new SnapshotMetadata(1000, 4), 10, 4, new byte[] { 1, 2, 3 }),
        new SnapshotResponse(1, 0, 5, 1000, 7),
        new TimeoutNow(0, 2, 5),
    };

    [Theory]
    [MemberData(nameof(EveryMessageType))]
    public void Message_RoundTrips(RaftMessage message) =>
        AssertSame(message, RaftCodec.DecodeMessage(RaftCodec.EncodeMessage(message)));

    [Fact]
    public void MessageBatch_RoundTripsInOrder()
    {
        var messages = EveryMessageType.Select(row => (RaftMessage)row.Data).ToList();
        var buffer = new ArrayBufferWriter<byte>();
        RaftCodec.WriteMessages(buffer, messages);

        var decoded = RaftCodec.DecodeMessages(buffer.WrittenMemory);

        Assert.Equal(messages.Count, decoded.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            AssertSame(messages[i], decoded[i]);
        }
    }

    [Fact]
    public void RandomMessages_RoundTrip()
    {
        var random = new Random(3);
        for (var i = 0; i < 2_000; i++)
        {
            var message = RandomMessage(random);
            AssertSame(message, RaftCodec.DecodeMessage(RaftCodec.EncodeMessage(message)));
        }
    }

    [Fact]
    public void Entries_HardState_AndSnapshotMetadata_RoundTrip()
    {
        var entries = new[] { Entry(5, 2, "x"), new LogEntry(6, 3, EntryType.NoOp, default), Entry(7, 3, new string('z', 300)) };
        var decoded = RaftCodec.DecodeEntries(RaftCodec.EncodeEntries(entries));
        Assert.Equal(entries.Length, decoded.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            AssertSame(entries[i], decoded[i]);
        }

        foreach (var state in new[] { new HardState(0, null, 0), new HardState(9, 0, 5), new HardState(long.MaxValue, 4, 1L << 50) })
        {
            Assert.Equal(state, RaftCodec.DecodeHardState(RaftCodec.EncodeHardState(state)));
        }

        var metadata = new SnapshotMetadata(123456789, 42);
        Assert.Equal(metadata, RaftCodec.DecodeSnapshotMetadata(RaftCodec.EncodeSnapshotMetadata(metadata)));
    }

    [Fact]
    public void Encoding_IsCompact()
    {
        Assert.True(RaftCodec.EncodeMessage(new Heartbeat(0, 1, 3, 1000, 12)).Length <= 10);
        var append = new AppendEntries(0, 1, 3, 1000, 3, 999, Enumerable.Range(1001, 64).Select(i => Entry(i, 3, new string('x', 64))).ToArray());
        Assert.True(RaftCodec.EncodeMessage(append).Length <= 64 * (64 + 3) + 16);
    }

    [Fact]
    public void UnknownVersion_TruncatedInput_AndTrailingBytes_AreRefused()
    {
        var bytes = RaftCodec.EncodeMessage(new TimeoutNow(0, 1, 5));
        var otherVersion = bytes.ToArray();
        otherVersion[0] = 2;
        Assert.Contains("version 2", Assert.Throws<InvalidDataException>(() => RaftCodec.DecodeMessages(otherVersion)).Message);
        Assert.Throws<InvalidDataException>(() => RaftCodec.DecodeMessages(bytes.AsMemory(0, bytes.Length - 1)));
        Assert.Throws<InvalidDataException>(() => RaftCodec.DecodeMessages(bytes.Concat(new byte[] { 0 }).ToArray()));
        Assert.Throws<InvalidDataException>(() => RaftCodec.DecodeHardState(new byte[] { 1, 0x80 }));
    }

    private static LogEntry Entry(long index, long term, string data) => new(index, term, EntryType.Normal, Kit.Bytes(data));

    private static RaftMessage RandomMessage(Random random)
    {
        long Number() => random.Next(4) switch { 0 => 0, 1 => random.Next(128), 2 => random.NextInt64(1L << 40), _ => random.NextInt64(long.MaxValue) };
        var (from, to, term) = (random.Next(5), random.Next(5), Number());
        switch (random.Next(9))
        {
            case 0:
                var prev = random.NextInt64(1L << 40);
                var entries = Enumerable.Range(0, random.Next(5))
                    .Select(i => new LogEntry(prev + 1 + i, Number(), (EntryType)random.Next(2), RandomBytes(random)))
                    .ToArray();
                return new AppendEntries(from, to, term, prev, Number(), Number(), entries);
            case 1: return new AppendResponse(from, to, term, random.Next(2) == 0, Number(), Number(), Number());
            case 2: return new RequestVote(from, to, term, Number(), Number(), random.Next(2) == 0, random.Next(2) == 0);
            case 3: return new VoteResponse(from, to, term, random.Next(2) == 0, random.Next(2) == 0);
            case 4: return new Heartbeat(from, to, term, Number(), Number());
            case 5: return new HeartbeatResponse(from, to, term, Number());
            case 6:
                var chunk = RandomBytes(random);
                return new InstallSnapshot(from, to, term, new SnapshotMetadata(Number(), Number()), chunk.Length + 10, 10, chunk);
            case 7: return new SnapshotResponse(from, to, term, Number(), random.Next(int.MaxValue));
            default: return new TimeoutNow(from, to, term);
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(4) == 0 ? random.Next(2000) : random.Next(20)];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Records compare memory fields by reference; compare their contents instead.</summary>
    private static void AssertSame(RaftMessage expected, RaftMessage actual)
    {
        switch (expected)
        {
            case AppendEntries append:
                var decoded = Assert.IsType<AppendEntries>(actual);
                Assert.Equal(append with { Entries = default }, decoded with { Entries = default });
                Assert.Equal(append.Entries.Length, decoded.Entries.Length);
                for (var i = 0; i < append.Entries.Length; i++)
                {
                    AssertSame(append.Entries.Span[i], decoded.Entries.Span[i]);
                }

                break;
            case InstallSnapshot chunk:
                var decodedChunk = Assert.IsType<InstallSnapshot>(actual);
                Assert.Equal(chunk with { Chunk = default }, decodedChunk with { Chunk = default });
                Assert.Equal(chunk.Chunk.ToArray(), decodedChunk.Chunk.ToArray());
                break;
            default:
                Assert.Equal(expected, actual);
                break;
        }
    }

    private static void AssertSame(LogEntry expected, LogEntry actual)
    {
        Assert.Equal(expected with { Data = default }, actual with { Data = default });
        Assert.Equal(expected.Data.ToArray(), actual.Data.ToArray());
    }
}
