using System.Buffers;
using LockService.Client;

namespace LockService.Leases.Tests.Support;

/// <summary>
/// Drives a <see cref="LeaseStateMachine"/> the way the host does: one command per log position, with a term that
/// can be bumped to play a leader change, and the events of every step collected.
/// </summary>
internal sealed class LeaseHarness(LeaseLimits? limits = null)
{
    private readonly Dictionary<ClientId, ulong> _nextSequence = [];

    public LeaseStateMachine Machine { get; private set; } = new(limits);

    public long Term { get; private set; } = 1;

    public long Index { get; private set; }

    public List<LeaseEvent> Events { get; } = [];

    public static ClientId Client(int n) => new((UInt128)n);

    public static SessionId Session(int n) => new(((UInt128)0xABCD << 64) | (UInt128)n);

    public void NewTerm() => Term++;

    public LeaseResult Apply(LeaseCommand command)
    {
        Index += 1 + (Index % 3 == 0 ? 1 : 0); // gaps, as NoOp entries leave them
        return Machine.Apply(command, Term, Index, Events);
    }

    public RequestId NextRequest(ClientId client)
    {
        var sequence = _nextSequence.GetValueOrDefault(client) + 1;
        _nextSequence[client] = sequence;
        return new RequestId(client, sequence);
    }

    public LeaseResult Open(ClientId client, SessionId session, long ttlMs = 10_000, long? clockMs = null) =>
        Apply(new OpenSession(NextRequest(client), 0, session, ttlMs, clockMs ?? Machine.ClockMs));

    public LeaseResult Close(ClientId client, SessionId session) =>
        Apply(new CloseSession(NextRequest(client), 0, session));

    public LeaseResult Acquire(ClientId client, SessionId session, string name, LockMode mode = LockMode.Exclusive, long waitUntilMs = 0, long lockDelayMs = 0) =>
        Apply(new Acquire(NextRequest(client), 0, session, name, mode, waitUntilMs, lockDelayMs));

    public LeaseResult AcquirePermit(ClientId client, SessionId session, string name, int maxCount, long waitUntilMs = 0) =>
        Apply(new Acquire(NextRequest(client), 0, session, name, LockMode.Shared, waitUntilMs, MaxCount: maxCount));

    public LeaseResult Release(ClientId client, SessionId session, string name, FencingToken token) =>
        Apply(new Release(NextRequest(client), 0, session, name, token));

    public LeaseResult Cancel(ClientId client, SessionId session, string name, ulong acquireSequence) =>
        Apply(new CancelWait(NextRequest(client), 0, session, name, acquireSequence));

    public LeaseResult Tick(long clockMs, params SessionId[] renewals) => Apply(new Tick(clockMs, renewals));

    public FencingToken Grant(ClientId client, SessionId session, string name, LockMode mode = LockMode.Exclusive)
    {
        var result = Acquire(client, session, name, mode);
        return Assert.IsType<Granted>(result).Token;
    }

    public byte[] Snapshot() => Snapshot(Machine);

    public static byte[] Snapshot(LeaseStateMachine machine, bool includePosition = true, bool includeAnswers = true)
    {
        var buffer = new ArrayBufferWriter<byte>();
        machine.WriteSnapshot(buffer, includePosition, includeAnswers);
        return buffer.WrittenSpan.ToArray();
    }

    public void RestoreFromSnapshot() => Machine = LeaseStateMachine.Restore(Snapshot(), Machine.Limits);
}
