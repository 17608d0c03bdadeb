using System.Buffers.Binary;
using System.Text;

namespace LockService.Leases;

/// <summary>
/// Writes the compact binary forms of commands and snapshots into a span: LEB128 varints for counts and
/// sequence numbers, zigzag varints for signed values, 16 little-endian bytes for ids, and strings as a byte
/// count plus strict UTF-8.
/// </summary>
internal ref struct SpanWriter(Span<byte> buffer)
{
    internal static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public const int MaxVarIntBytes = 10;

    private readonly Span<byte> _buffer = buffer;

    public int Written { get; private set; }

    public static int MaxStringBytes(string value) => MaxVarIntBytes + StrictUtf8.GetMaxByteCount(value.Length);

    public void WriteByte(byte value) => _buffer[Written++] = value;

    public void WriteVarUInt(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer[Written++] = (byte)(value | 0x80);
            value >>= 7;
        }

        _buffer[Written++] = (byte)value;
    }

    public void WriteVarLong(long value) => WriteVarUInt((ulong)((value << 1) ^ (value >> 63)));

    public void WriteUInt128(UInt128 value)
    {
        BinaryPrimitives.WriteUInt128LittleEndian(_buffer[Written..], value);
        Written += 16;
    }

    public void WriteString(string value)
    {
        // Names are short; a count-then-encode pass is cheaper than encoding twice for a length prefix.
        var byteCount = StrictUtf8.GetByteCount(value);
        WriteVarUInt((ulong)byteCount);
        Written += StrictUtf8.GetBytes(value, _buffer[Written..]);
    }
}

/// <summary>Reads what <see cref="SpanWriter"/> wrote; throws <see cref="InvalidDataException"/> on malformed input.</summary>
internal ref struct SpanReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;

    public int Position { get; private set; }

    public readonly bool AtEnd => Position == _buffer.Length;

    public byte ReadByte()
    {
        Need(1);
        return _buffer[Position++];
    }

    public ulong ReadVarUInt()
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            var b = ReadByte();
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (shift == 63 && b > 1)
                {
                    break;
                }

                return value;
            }
        }

        throw new InvalidDataException("Malformed varint.");
    }

    public long ReadVarLong()
    {
        var raw = ReadVarUInt();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    public int ReadCount(int max)
    {
        var count = ReadVarUInt();
        if (count > (ulong)max)
        {
            throw new InvalidDataException($"Count {count} exceeds {max}.");
        }

        return (int)count;
    }

    public UInt128 ReadUInt128()
    {
        Need(16);
        var value = BinaryPrimitives.ReadUInt128LittleEndian(_buffer[Position..]);
        Position += 16;
        return value;
    }

    public string ReadString()
    {
        var length = ReadVarUInt();
        if (length > (ulong)(_buffer.Length - Position))
        {
            throw new InvalidDataException("Unexpected end of data.");
        }

        try
        {
            var value = SpanWriter.StrictUtf8.GetString(_buffer.Slice(Position, (int)length));
            Position += (int)length;
            return value;
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("A string is not valid UTF-8.", e);
        }
    }

    public readonly void ExpectEnd()
    {
        if (!AtEnd)
        {
            throw new InvalidDataException($"{_buffer.Length - Position} unexpected trailing bytes.");
        }
    }

    private readonly void Need(int count)
    {
        if (_buffer.Length - Position < count)
        {
            throw new InvalidDataException("Unexpected end of data.");
        }
    }
}
