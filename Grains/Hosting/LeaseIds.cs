using System.Buffers.Binary;
using System.Security.Cryptography;
using LockService.Leases;

namespace LockService.Hosting;

/// <summary>Conversions between the wire identifiers (Guid) and the state machine's 128-bit identifiers.</summary>
internal static class LeaseIds
{
    public static SessionId ToSessionId(Guid id) => new(ToUInt128(id));

    public static Guid ToGuid(SessionId id) => ToGuid(id.Value);

    public static Guid ToGuid(ClientId id) => ToGuid(id.Value);

    public static Leases.RequestId ToRequestId(Protocol.RequestId request) =>
        new(ClientKeys.IdOf(request.ClientId), Unsigned(request.Sequence));

    /// <summary>A wire count or sequence number; a negative one becomes 0, which the replica core refuses or ignores (never a huge value).</summary>
    public static ulong Unsigned(long value) => value < 0 ? 0 : (ulong)value;

    public static Protocol.RequestId ToWire(Leases.RequestId request) =>
        new(ToGuid(request.Client), (long)request.Sequence);

    /// <summary>128 random bits from the OS generator: a session id no other client can guess.</summary>
    public static SessionId NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return new SessionId(BinaryPrimitives.ReadUInt128LittleEndian(bytes));
    }

    private static UInt128 ToUInt128(Guid id)
    {
        Span<byte> bytes = stackalloc byte[16];
        id.TryWriteBytes(bytes);
        return BinaryPrimitives.ReadUInt128LittleEndian(bytes);
    }

    private static Guid ToGuid(UInt128 value)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128LittleEndian(bytes, value);
        return new Guid(bytes);
    }
}
