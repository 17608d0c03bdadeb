using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>The log payload: round trip, strictness, clock peek.</summary>
public sealed class CodecTests
{
    private static readonly RequestId Request = new(LeaseHarness.Client(7), 42);
    private static readonly SessionId Session = new(UInt128.MaxValue - 5);

    public static TheoryData<LeaseCommand> Commands() =>
    [
        new Tick(123_456, [Session, LeaseHarness.Session(1)]),
        new Tick(0, []),
        new OpenSession(Request, 41, Session, 30_000, 987_654_321),
        new CloseSession(Request, 0, Session),
        new Acquire(Request, 3, Session, "orders/🔒/ü", LockMode.Shared, 1_000_000, 5_000),
        new Acquire(Request, 3, Session, "x", LockMode.Exclusive),
        new Release(Request, 9, Session, "orders/1", new FencingToken(7, 10_423)),
        new CancelWait(Request, 1, Session, "a", 40),
        new ForceRelease("orders/🔒/42", new FencingToken(7, 10_423)),
        new OpenSession(new RequestId(new ClientId(UInt128.MaxValue), ulong.MaxValue), ulong.MaxValue, Session, long.MaxValue, long.MinValue),
    ];

    [Theory]
    [MemberData(nameof(Commands))]
    public void Decode_of_encode_is_the_same_command(LeaseCommand command)
    {
        var bytes = LeaseCommandCodec.Encode(command);
        Assert.Equal(command, LeaseCommandCodec.Decode(bytes));
        Assert.Equal(LeaseCommandCodec.Version, bytes[0]);
    }

    [Fact]
    public void Acquire_payload_is_compact()
    {
        var bytes = LeaseCommandCodec.Encode(new Acquire(Request, 41, Session, "orders/1", LockMode.Exclusive));
        Assert.True(bytes.Length <= 48, $"{bytes.Length} bytes");
    }

    [Fact]
    public void Every_truncation_and_trailing_garbage_is_refused()
    {
        var bytes = LeaseCommandCodec.Encode(new Release(Request, 9, Session, "orders/1", new FencingToken(7, 10_423)));
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => LeaseCommandCodec.Decode(bytes.AsSpan(0, length)));
        }

        Assert.Throws<InvalidDataException>(() => LeaseCommandCodec.Decode([.. bytes, 0]));
    }

    [Fact]
    public void Unknown_version_kind_and_invalid_utf8_are_refused()
    {
        var bytes = LeaseCommandCodec.Encode(new Acquire(Request, 0, Session, "ab", LockMode.Exclusive));
        Assert.Throws<InvalidDataException>(() => LeaseCommandCodec.Decode([2, .. bytes.AsSpan(1)]));
        Assert.Throws<InvalidDataException>(() => LeaseCommandCodec.Decode([1, 99, .. bytes.AsSpan(2)]));
        var nameStart = Array.IndexOf(bytes, (byte)'a');
        bytes[nameStart] = 0xFF;
        Assert.Throws<InvalidDataException>(() => LeaseCommandCodec.Decode(bytes));
    }

    [Fact]
    public void Lone_surrogate_name_cannot_be_encoded()
    {
        Assert.ThrowsAny<ArgumentException>(() => LeaseCommandCodec.Encode(new Acquire(Request, 0, Session, "a\ud800", LockMode.Exclusive)));
    }

    [Fact]
    public void TryReadClock_finds_the_clock_of_ticks_and_session_opens_only()
    {
        Assert.True(LeaseCommandCodec.TryReadClock(LeaseCommandCodec.Encode(new Tick(77, [Session])), out var tickClock));
        Assert.Equal(77, tickClock);
        Assert.True(LeaseCommandCodec.TryReadClock(LeaseCommandCodec.Encode(new OpenSession(Request, 1, Session, 5_000, 88)), out var openClock));
        Assert.Equal(88, openClock);
        Assert.False(LeaseCommandCodec.TryReadClock(LeaseCommandCodec.Encode(new CloseSession(Request, 1, Session)), out _));
        Assert.False(LeaseCommandCodec.TryReadClock([], out _));
    }
}
