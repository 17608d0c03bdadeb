using System.Buffers.Binary;
using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// The default simulated state machine: a running FNV-1a hash over every applied entry's index, term and bytes.
/// Its snapshots carry some filler of varying length so that InstallSnapshot needs several chunks.
/// </summary>
public sealed class HashingApplier : IReplicaApplier
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public ulong StateHash { get; private set; } = Offset;

    public long Applied { get; private set; }

    public void Apply(in LogEntry entry)
    {
        var hash = Mix(StateHash, (ulong)entry.Index);
        hash = Mix(hash, (ulong)entry.Term);
        foreach (var b in entry.Data.Span)
        {
            hash = (hash ^ b) * Prime;
        }

        StateHash = hash;
        Applied++;
    }

    public byte[] TakeSnapshot()
    {
        var filler = (int)(StateHash % 97);
        var data = new byte[16 + filler];
        BinaryPrimitives.WriteUInt64LittleEndian(data, StateHash);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), Applied);
        for (var i = 0; i < filler; i++)
        {
            data[16 + i] = (byte)(StateHash >> (i % 8 * 8));
        }

        return data;
    }

    public void Restore(ReadOnlyMemory<byte> snapshot)
    {
        var span = snapshot.Span;
        StateHash = BinaryPrimitives.ReadUInt64LittleEndian(span);
        Applied = BinaryPrimitives.ReadInt64LittleEndian(span[8..]);
        for (var i = 16; i < span.Length; i++)
        {
            if (span[i] != (byte)(StateHash >> ((i - 16) % 8 * 8)))
            {
                throw new InvalidOperationException("Snapshot filler is corrupt: chunks were reassembled wrongly.");
            }
        }
    }

    private static ulong Mix(ulong hash, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ (byte)(value >> (i * 8))) * Prime;
        }

        return hash;
    }
}
