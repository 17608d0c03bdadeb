using System.Buffers;
using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// The log payload of a lease command: a version byte, a kind byte, then the fields (see docs/LEASES.md).
/// Decoding is strict (unknown version or kind, truncation, trailing bytes, invalid UTF-8 all throw
/// <see cref="InvalidDataException"/>), so every replica either reads the same command or stops on the same
/// entry.
/// </summary>
public static class LeaseCommandCodec
{
    public const byte Version = 1;

    private const int HeaderBytes = 2;
    private const int ClientHeaderBytes = 16 + 2 * SpanWriter.MaxVarIntBytes;
    private const int SessionBytes = 16;
    private const int TokenBytes = 2 * SpanWriter.MaxVarIntBytes;

    /// <summary>Largest number of renewals one tick may carry when decoded (a sanity bound on input).</summary>
    public const int MaxRenewalsPerTick = 10_000_000;

    private enum Kind : byte
    {
        Tick = 1,
        OpenSession = 2,
        CloseSession = 3,
        Acquire = 4,
        Release = 5,
        CancelWait = 6,

        /// <summary>An Acquire of one permit of a semaphore (MaxCount ≥ 1); a new tag so plain Acquires keep their bytes.</summary>
        AcquirePermit = 7,

        /// <summary>An operator's forced release; no client header (it is not a client's request).</summary>
        ForceRelease = 10,
    }

    /// <summary>Writes the payload of <paramref name="command"/> and returns its length.</summary>
    /// <exception cref="ArgumentException">A lock name is not valid UTF-16 (lone surrogate).</exception>
    public static int Encode(LeaseCommand command, IBufferWriter<byte> writer)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(writer);
        var span = writer.GetSpan(MaxSize(command));
        var output = new SpanWriter(span);
        output.WriteByte(Version);
        switch (command)
        {
            case Tick tick:
                output.WriteByte((byte)Kind.Tick);
                output.WriteVarLong(tick.ClockMs);
                output.WriteVarUInt((ulong)tick.Renewals.Count);
                foreach (var session in tick.Renewals)
                {
                    output.WriteUInt128(session.Value);
                }

                break;
            case OpenSession open:
                WriteClientHeader(ref output, Kind.OpenSession, open);
                output.WriteUInt128(open.Session.Value);
                output.WriteVarLong(open.TtlMs);
                output.WriteVarLong(open.ClockMs);
                break;
            case CloseSession close:
                WriteClientHeader(ref output, Kind.CloseSession, close);
                output.WriteUInt128(close.Session.Value);
                break;
            case Acquire acquire:
                WriteClientHeader(ref output, acquire.MaxCount == 0 ? Kind.Acquire : Kind.AcquirePermit, acquire);
                output.WriteUInt128(acquire.Session.Value);
                output.WriteString(acquire.Lock);
                output.WriteByte((byte)acquire.Mode);
                output.WriteVarLong(acquire.WaitUntilMs);
                output.WriteVarLong(acquire.LockDelayMs);
                if (acquire.MaxCount != 0)
                {
                    output.WriteVarLong(acquire.MaxCount);
                }

                break;
            case Release release:
                WriteClientHeader(ref output, Kind.Release, release);
                output.WriteUInt128(release.Session.Value);
                output.WriteString(release.Lock);
                output.WriteVarLong(release.Token.Term);
                output.WriteVarLong(release.Token.Index);
                break;
            case CancelWait cancel:
                WriteClientHeader(ref output, Kind.CancelWait, cancel);
                output.WriteUInt128(cancel.Session.Value);
                output.WriteString(cancel.Lock);
                output.WriteVarUInt(cancel.AcquireSequence);
                break;
            case ForceRelease force:
                output.WriteByte((byte)Kind.ForceRelease);
                output.WriteString(force.Lock);
                output.WriteVarLong(force.UpTo.Term);
                output.WriteVarLong(force.UpTo.Index);
                break;
            default:
                throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command));
        }

        writer.Advance(output.Written);
        return output.Written;
    }

    public static byte[] Encode(LeaseCommand command)
    {
        var buffer = new ArrayBufferWriter<byte>(MaxSize(command));
        Encode(command, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <exception cref="InvalidDataException">The payload is not a command of a known version.</exception>
    public static LeaseCommand Decode(ReadOnlySpan<byte> payload)
    {
        var input = new SpanReader(payload);
        var version = input.ReadByte();
        if (version != Version)
        {
            throw new InvalidDataException($"Lease command version {version} is not supported (expected {Version}).");
        }

        var kind = (Kind)input.ReadByte();
        LeaseCommand command;
        if (kind == Kind.Tick)
        {
            var clockMs = input.ReadVarLong();
            var count = input.ReadCount(Math.Min(MaxRenewalsPerTick, payload.Length / 16));
            var renewals = new SessionId[count];
            for (var i = 0; i < count; i++)
            {
                renewals[i] = new SessionId(input.ReadUInt128());
            }

            command = new Tick(clockMs, renewals);
        }
        else if (kind == Kind.ForceRelease)
        {
            command = new ForceRelease(input.ReadString(), new FencingToken(input.ReadVarLong(), input.ReadVarLong()));
        }
        else
        {
            var request = new RequestId(new ClientId(input.ReadUInt128()), input.ReadVarUInt());
            var answeredBelow = input.ReadVarUInt();
            var session = new SessionId(input.ReadUInt128());
            command = kind switch
            {
                Kind.OpenSession => new OpenSession(request, answeredBelow, session, input.ReadVarLong(), input.ReadVarLong()),
                Kind.CloseSession => new CloseSession(request, answeredBelow, session),
                Kind.Acquire => new Acquire(
                    request, answeredBelow, session, input.ReadString(), (LockMode)input.ReadByte(), input.ReadVarLong(), input.ReadVarLong()),
                Kind.AcquirePermit => new Acquire(
                    request, answeredBelow, session, input.ReadString(), (LockMode)input.ReadByte(), input.ReadVarLong(), input.ReadVarLong(),
                    ReadMaxCount(ref input)),
                Kind.Release => new Release(
                    request, answeredBelow, session, input.ReadString(), new FencingToken(input.ReadVarLong(), input.ReadVarLong())),
                Kind.CancelWait => new CancelWait(request, answeredBelow, session, input.ReadString(), input.ReadVarUInt()),
                _ => throw new InvalidDataException($"Unknown lease command kind {(byte)kind}."),
            };
        }

        input.ExpectEnd();
        return command;
    }

    /// <summary>
    /// The lease-clock value an entry carries (Tick and OpenSession do), read without decoding the rest, so the
    /// host can tell <see cref="LeaseClock"/> about every appended entry cheaply.
    /// </summary>
    public static bool TryReadClock(ReadOnlySpan<byte> payload, out long clockMs)
    {
        clockMs = 0;
        if (payload.Length < HeaderBytes || payload[0] != Version)
        {
            return false;
        }

        try
        {
            var input = new SpanReader(payload[HeaderBytes..]);
            switch ((Kind)payload[1])
            {
                case Kind.Tick:
                    clockMs = input.ReadVarLong();
                    return true;
                case Kind.OpenSession:
                    input.ReadUInt128();
                    input.ReadVarUInt();
                    input.ReadVarUInt();
                    input.ReadUInt128();
                    input.ReadVarLong();
                    clockMs = input.ReadVarLong();
                    return true;
                default:
                    return false;
            }
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    private static int ReadMaxCount(ref SpanReader input)
    {
        // Any int round-trips (the state machine refuses a bad count with an answer); only what no encoder writes stops here.
        var maxCount = input.ReadVarLong();
        return maxCount is >= int.MinValue and <= int.MaxValue
            ? (int)maxCount
            : throw new InvalidDataException($"A semaphore's permit count {maxCount} is not an int.");
    }

    private static void WriteClientHeader(ref SpanWriter output, Kind kind, ClientCommand command)
    {
        output.WriteByte((byte)kind);
        output.WriteUInt128(command.Request.Client.Value);
        output.WriteVarUInt(command.Request.Sequence);
        output.WriteVarUInt(command.AnsweredBelow);
    }

    private static int MaxSize(LeaseCommand command) => HeaderBytes + command switch
    {
        Tick tick => SpanWriter.MaxVarIntBytes * 2 + SessionBytes * tick.Renewals.Count,
        OpenSession => ClientHeaderBytes + SessionBytes + 2 * SpanWriter.MaxVarIntBytes,
        CloseSession => ClientHeaderBytes + SessionBytes,
        Acquire acquire => ClientHeaderBytes + SessionBytes + SpanWriter.MaxStringBytes(acquire.Lock) + 1 + 3 * SpanWriter.MaxVarIntBytes,
        Release release => ClientHeaderBytes + SessionBytes + SpanWriter.MaxStringBytes(release.Lock) + TokenBytes,
        CancelWait cancel => ClientHeaderBytes + SessionBytes + SpanWriter.MaxStringBytes(cancel.Lock) + SpanWriter.MaxVarIntBytes,
        ForceRelease force => SpanWriter.MaxStringBytes(force.Lock) + TokenBytes,
        _ => 0,
    };
}
