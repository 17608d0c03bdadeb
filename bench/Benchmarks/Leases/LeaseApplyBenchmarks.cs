using BenchmarkDotNet.Attributes;
using LockService.Client;
using LockService.Leases;

namespace LockService.Benchmarks.Leases;

/// <summary>
/// Apply throughput of the lease state machine alone: 1,000,000 commands per invocation, a realistic mix of
/// uncontended Acquire/Release pairs from 1,000 sessions (with exactly-once bookkeeping and acknowledgements) and a
/// Tick with 50 renewals every 1,000 commands. Reported time is per command (OperationsPerInvoke).
/// </summary>
[MemoryDiagnoser]
[InProcessJob(warmupCount: 2, iterationCount: 8)]
public class LeaseApplyBenchmarks
{
    private const int Commands = 1_000_000;
    private const int Sessions = 1_000;

    private LeaseCommand[] _commands = [];
    private byte[][] _payloads = [];
    private LeaseStateMachine _machine = null!;
    private long _firstIndex;

    [GlobalSetup]
    public void Build()
    {
        var commands = new List<LeaseCommand>(Commands);
        var sequences = new ulong[Sessions];
        var index = Sessions; // positions 1..Sessions hold the OpenSession entries
        var held = new (string Name, FencingToken Token)?[Sessions];
        var clockMs = 0L;
        for (var i = 0; commands.Count < Commands; i++)
        {
            index++;
            if (i % 1_000 == 999)
            {
                clockMs += 50;
                commands.Add(new Tick(clockMs, Enumerable.Range(i % Sessions, 50).Select(s => SessionOf(s % Sessions)).ToArray()));
                continue;
            }

            var slot = i % Sessions;
            var request = new RequestId(ClientOf(slot), ++sequences[slot]);
            var answeredBelow = request.Sequence; // every earlier answer has arrived
            if (held[slot] is { } grant)
            {
                commands.Add(new Release(request, answeredBelow, SessionOf(slot), grant.Name, grant.Token));
                held[slot] = null;
            }
            else
            {
                var name = $"orders/{i}";
                commands.Add(new Acquire(request, answeredBelow, SessionOf(slot), name, LockMode.Exclusive));
                held[slot] = (name, new FencingToken(1, index));
            }
        }

        _commands = commands.ToArray();
        _payloads = _commands.Select(LeaseCommandCodec.Encode).ToArray();
        _firstIndex = Sessions + 1;
    }

    [IterationSetup]
    public void OpenSessions()
    {
        _machine = new LeaseStateMachine();
        for (var s = 0; s < Sessions; s++)
        {
            _machine.Apply(new OpenSession(new RequestId(ClientOf(s), 0), 0, SessionOf(s), 3_600_000, 0), 1, s + 1);
        }
    }

    [Benchmark(OperationsPerInvoke = Commands)]
    public LeaseResult Apply()
    {
        LeaseResult last = Done.Instance;
        var index = _firstIndex;
        foreach (var command in _commands)
        {
            last = _machine.Apply(command, 1, index++);
        }

        return last;
    }

    /// <summary>What the host does per committed entry: decode the payload, then apply.</summary>
    [Benchmark(OperationsPerInvoke = Commands)]
    public LeaseResult DecodeAndApply()
    {
        LeaseResult last = Done.Instance;
        var index = _firstIndex;
        foreach (var payload in _payloads)
        {
            last = _machine.Apply(LeaseCommandCodec.Decode(payload), 1, index++);
        }

        return last;
    }

    internal static ClientId ClientOf(int slot) => new((UInt128)(slot + 1));

    internal static SessionId SessionOf(int slot) => new(((UInt128)0x5E55 << 64) | (UInt128)(slot + 1));
}
