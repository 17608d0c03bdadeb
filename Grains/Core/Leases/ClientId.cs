using System.Globalization;

namespace LockService.Leases;

/// <summary>
/// A client process's identity (128 bits it chooses once). Exactly-once answers and the sessions-per-client limit
/// are kept per client.
/// </summary>
public readonly record struct ClientId(UInt128 Value)
{
    public override string ToString() => Value.ToString("x32", CultureInfo.InvariantCulture);

    public static ClientId FromGuid(Guid guid)
    {
        Span<byte> bytes = stackalloc byte[16];
        guid.TryWriteBytes(bytes);
        return new ClientId(System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(bytes));
    }
}
