using System.Buffers;
using BenchmarkDotNet.Attributes;
using LockService.Client;
using LockService.Leases;

namespace LockService.Benchmarks.Leases;

/// <summary>
/// Snapshot cost with 1,000,000 held locks (100 sessions × 10,000 locks, names "tenant-17/orders/123456"): write
/// and restore. The snapshot's size is printed by the setup.
/// </summary>
[MemoryDiagnoser]
[InProcessJob(warmupCount: 1, iterationCount: 5)]
public class LeaseSnapshotBenchmarks
{
    private const int Sessions = 100;
    private const int LocksPerSession = 10_000;

    private LeaseStateMachine _machine = null!;
    private byte[] _snapshot = [];
    private readonly ArrayBufferWriter<byte> _buffer = new(64 << 20);

    [GlobalSetup]
    public void Build()
    {
        _machine = new LeaseStateMachine();
        long index = 0;
        for (var s = 0; s < Sessions; s++)
        {
            _machine.Apply(new OpenSession(new RequestId(LeaseApplyBenchmarks.ClientOf(s), 0), 0, LeaseApplyBenchmarks.SessionOf(s), 3_600_000, 0), 1, ++index);
        }

        for (var l = 0; l < LocksPerSession; l++)
        {
            for (var s = 0; s < Sessions; s++)
            {
                var request = new RequestId(LeaseApplyBenchmarks.ClientOf(s), (ulong)l + 1);
                var name = $"tenant-{s}/orders/{l:D6}";
                _machine.Apply(new Acquire(request, request.Sequence, LeaseApplyBenchmarks.SessionOf(s), name, LockMode.Exclusive), 1, ++index);
            }
        }

        WriteSnapshot();
        _snapshot = _buffer.WrittenSpan.ToArray();
        Console.WriteLine($"// Snapshot of {_machine.LockCount:N0} held locks: {_snapshot.Length:N0} bytes ({_snapshot.Length / 1e6:F1} MB)");
    }

    [Benchmark]
    public int WriteSnapshot()
    {
        _buffer.ResetWrittenCount();
        _machine.WriteSnapshot(_buffer);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int Restore() => LeaseStateMachine.Restore(_snapshot).LockCount;
}
