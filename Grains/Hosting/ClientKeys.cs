using System.Buffers.Binary;
using System.Security.Cryptography;
using LockService.Leases;

namespace LockService.Hosting;

/// <summary>
/// A client proves who it is with its key: 128 random bits it sends as the client id of every request (and with
/// every keepalive), and shows nobody else. The service never stores, logs or shows the key; it knows the client by
/// the key's hash (<see cref="IdOf"/>), which is what the log, the snapshots, every replica and Describe carry. So a
/// session's owner can be checked on any replica after a failover, and nothing the service shows lets anyone act as
/// a client: acting needs the key, and the hash does not give it.
/// </summary>
internal static class ClientKeys
{
    // Domain separation: this hash means "client id of a key", nothing else.
    private static readonly byte[] Domain = "LockService.ClientKey.v1"u8.ToArray();

    /// <summary>
    /// The client id of <paramref name="key"/>: the first 128 bits of SHA-256(domain ‖ key). The empty key (no key
    /// sent) maps to the zero id, which the replica core refuses at the door.
    /// </summary>
    public static ClientId IdOf(Guid key)
    {
        if (key == Guid.Empty)
        {
            return new ClientId(UInt128.Zero);
        }

        Span<byte> input = stackalloc byte[Domain.Length + 16];
        Domain.CopyTo(input);
        key.TryWriteBytes(input[Domain.Length..]);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        var id = BinaryPrimitives.ReadUInt128LittleEndian(hash);
        return new ClientId(id == UInt128.Zero ? UInt128.One : id);
    }
}
