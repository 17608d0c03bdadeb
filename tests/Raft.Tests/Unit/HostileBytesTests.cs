namespace LockService.Raft.Tests.Unit;

/// <summary>
/// <see cref="RaftCodec"/> reads bytes from peers and from storage: hostile or damaged input is refused with
/// <see cref="InvalidDataException"/>, and nothing it decodes is sized from a count it has not checked.
/// </summary>
public sealed class HostileBytesTests
{
    // A claimed count that is believed costs far more than the input; this is generous for honest decoding.
    private const long AllocationBudgetPerInputByte = 256;

    [Fact]
    public void A_batch_claiming_more_messages_than_its_bytes_hold_is_refused_before_allocating()
    {
        var bytes = new byte[] { RaftCodec.Version, 0xFF, 0xFF, 0xFF, 0xFF, 0x07 }; // int.MaxValue messages

        AssertRefusedCheaply(bytes, b => RaftCodec.DecodeMessages(b));
    }

    [Fact]
    public void Stored_entries_claiming_a_huge_count_are_refused_before_allocating()
    {
        var bytes = new byte[] { RaftCodec.Version, 0xFF, 0xFF, 0xFF, 0xFF, 0x07, 1, 1, 0, 0 };

        AssertRefusedCheaply(bytes, b => RaftCodec.DecodeEntries(b));
    }

    [Fact]
    public void An_append_claiming_a_huge_entry_count_is_refused_before_allocating()
    {
        var honest = RaftCodec.EncodeMessage(new AppendEntries(0, 1, 3, 10, 3, 9, Array.Empty<LogEntry>()));
        var hostile = honest.ToArray();
        hostile[^1] = 0xFF; // the entry count, last byte of an append without entries
        hostile = [.. hostile, 0xFF, 0xFF, 0xFF, 0x07];

        AssertRefusedCheaply(hostile, b => RaftCodec.DecodeMessages(b));
    }

    [Fact]
    public void A_snapshot_chunk_claiming_a_huge_total_or_overrunning_it_is_refused()
    {
        var huge = new InstallSnapshot(0, 1, 5, new SnapshotMetadata(100, 4), int.MaxValue, 0, new byte[] { 1, 2, 3 });
        var overrun = new InstallSnapshot(0, 1, 5, new SnapshotMetadata(100, 4), 4, 2, new byte[] { 1, 2, 3 });

        AssertRefusedCheaply(RaftCodec.EncodeMessage(huge), b => RaftCodec.DecodeMessages(b));
        AssertRefusedCheaply(RaftCodec.EncodeMessage(overrun), b => RaftCodec.DecodeMessages(b));
    }

    [Fact]
    public void Every_truncation_of_every_message_is_refused()
    {
        foreach (var row in CodecTests.EveryMessageType)
        {
            var bytes = RaftCodec.EncodeMessage((RaftMessage)row.Data);
            for (var length = 0; length < bytes.Length; length++)
            {
                AssertRefusedCheaply(bytes.AsSpan(0, length).ToArray(), b => RaftCodec.DecodeMessages(b));
            }
        }
    }

    [Fact]
    public void Random_corruptions_decode_or_are_refused_and_never_allocate_beyond_their_size()
    {
        var random = new Random(13);
        var valid = CodecTests.EveryMessageType.Select(row => RaftCodec.EncodeMessage((RaftMessage)row.Data)).ToArray();
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = valid[random.Next(valid.Length)].ToArray();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(1, bytes.Length)] = (byte)random.Next(256);
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                RaftCodec.DecodeMessages(bytes);
            }
            catch (InvalidDataException)
            {
                // Refused: fine. Any other exception fails the test.
            }

            Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 4096 + AllocationBudgetPerInputByte * bytes.Length);
        }
    }

    private static void AssertRefusedCheaply(byte[] bytes, Action<byte[]> decode)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => decode(bytes));
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 16_384 + AllocationBudgetPerInputByte * bytes.Length);
    }
}
