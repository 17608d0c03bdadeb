using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using LockService.Raft;

namespace LockService.Benchmarks.Raft;

/// <summary>
/// The Raft core alone: a 3-replica group in one process with instant delivery and instant (no-op) persistence.
/// One operation is one committed entry: the leader proposes a batch of 64 entries of 64 bytes, and every Ready
/// of every replica is handled until the batch is committed and applied everywhere. Op/s is entries committed per
/// second; Allocated is bytes allocated per committed entry.
/// dotnet run -c Release --project bench/Benchmarks -- --filter '*Raft*'
/// In process: BenchmarkDotNet's generated project cannot find bench/Benchmarks/Benchmarks.csproj because the
/// assembly is named LockService.Benchmarks.
[MemoryDiagnoser]
[InProcess]
[Config(typeof(OpsConfig))]
public class RaftCommitBenchmark
{
    private const int BatchSize = 64;
    private const int EntryBytes = 64;
    private const long CompactEveryEntries = 50_000;

    private readonly Queue<RaftMessage> network = new();
    private RaftNode[] nodes = [];
    private long[] applied = [];
    private ReadOnlyMemory<byte>[] batch = [];
    private RaftNode leader = null!;

    [GlobalSetup]
    public void Setup()
    {
        nodes = new RaftNode[3];
        applied = new long[3];
        for (var id = 0; id < nodes.Length; id++)
        {
            var config = new RaftConfig
            {
                Id = id,
                Voters = [0, 1, 2],
                MaxEntriesPerMessage = 1024,
                MaxBytesPerMessage = 1 << 20,
                MaxInflightAppends = 256,
                MaxUncommittedBytes = 1L << 30,
            };
            nodes[id] = new RaftNode(config, new Random(id));
        }

        leader = nodes[0];
        while (leader.Role != RaftRole.Candidate && leader.Role != RaftRole.PreCandidate)
        {
            leader.Tick();
        }

        Pump();
        if (leader.Role != RaftRole.Leader)
        {
            throw new InvalidOperationException("Node 0 did not become leader.");
        }

        batch = new ReadOnlyMemory<byte>[BatchSize];
        for (var i = 0; i < BatchSize; i++)
        {
            var command = new byte[EntryBytes];
            command[0] = (byte)i;
            batch[i] = command;
        }
    }

    [Benchmark(OperationsPerInvoke = BatchSize)]
    public long ProposeAndCommit64x64B()
    {
        var result = leader.Propose(batch);
        Pump();
        if (applied[0] < result.Index + BatchSize - 1)
        {
            throw new InvalidOperationException("The batch did not commit.");
        }

        return applied[0];
    }

    /// <summary>The host loop with instant persistence and delivery, until every replica is idle.</summary>
    private void Pump()
    {
        bool busy;
        do
        {
            busy = false;
            for (var id = 0; id < nodes.Length; id++)
            {
                var node = nodes[id];
                while (node.HasReady)
                {
                    busy = true;
                    var ready = node.GetReady();
                    Enqueue(ready.MessagesBeforePersist);
                    Enqueue(ready.MessagesAfterPersist);
                    if (!ready.CommittedEntries.IsEmpty)
                    {
                        applied[id] = ready.CommittedEntries.Span[^1].Index;
                    }

                    node.Advance(ready);
                    if (applied[id] - node.SnapshotIndex >= CompactEveryEntries)
                    {
                        node.Compact(applied[id], ReadOnlyMemory<byte>.Empty);
                    }
                }
            }

            while (network.TryDequeue(out var message))
            {
                busy = true;
                nodes[message.To].Step(message);
            }
        }
        while (busy);
    }

    private void Enqueue(IReadOnlyList<RaftMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            network.Enqueue(messages[i]);
        }
    }

    private sealed class OpsConfig : ManualConfig
    {
        public OpsConfig() => AddColumn(StatisticColumn.OperationsPerSecond);
    }
}
