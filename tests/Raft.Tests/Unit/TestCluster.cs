using LockService.Simulation;

namespace LockService.Raft.Tests.Unit;

/// <summary>
/// A small hand-driven group for unit tests: messages are delivered in order, instantly, unless a node is down, the
/// link is cut, or <see cref="Intercept"/> drops or rewrites them. Every Ready is handled the way a host must.
/// </summary>
internal sealed class TestCluster
{
    private readonly Queue<RaftMessage> network = new();
    private readonly bool[,] cut;

    public TestCluster(int voters = 3, Func<RaftConfig, RaftConfig>? configure = null)
    {
        Configs = new RaftConfig[voters];
        Nodes = new RaftNode[voters];
        Stores = new DurableStore[voters];
        Applied = new List<LogEntry>[voters];
        Reads = new List<ReadState>[voters];
        Down = new bool[voters];
        cut = new bool[voters, voters];
        for (var id = 0; id < voters; id++)
        {
            Configs[id] = Kit.Config(id, voters, configure);
            Nodes[id] = new RaftNode(Configs[id], new Random(100 + id));
            Stores[id] = new DurableStore();
            Applied[id] = [];
            Reads[id] = [];
        }
    }

    public RaftConfig[] Configs { get; }

    public RaftNode[] Nodes { get; }

    public DurableStore[] Stores { get; }

    public List<LogEntry>[] Applied { get; }

    public List<ReadState>[] Reads { get; }

    public bool[] Down { get; }

    /// <summary>Sees every message about to be delivered: return it (or a changed copy) to deliver, null to drop.</summary>
    public Func<RaftMessage, RaftMessage?>? Intercept { get; set; }

    public RaftNode this[int id] => Nodes[id];

    public int MessagesDelivered { get; private set; }

    /// <summary>Handles every Ready and delivers every message until nothing moves.</summary>
    public void Stabilize()
    {
        for (var round = 0; round < 100_000; round++)
        {
            var moved = false;
            for (var id = 0; id < Nodes.Length; id++)
            {
                moved |= ProcessReady(id);
            }

            while (network.TryDequeue(out var sent))
            {
                moved = true;
                var message = Down[sent.To] || cut[sent.From, sent.To] ? null : Intercept is { } intercept ? intercept(sent) : sent;
                if (message is null)
                {
                    continue;
                }

                MessagesDelivered++;
                Nodes[message.To].Step(message);
                ProcessReady(message.To);
            }

            if (!moved)
            {
                return;
            }
        }

        throw new InvalidOperationException("The test cluster did not settle.");
    }

    /// <summary>Ticks one node until it starts a (pre-)election, then lets the cluster settle.</summary>
    public void Campaign(int id)
    {
        var node = Nodes[id];
        for (var i = 0; i < 100 && node.Role is RaftRole.Follower or RaftRole.Leader; i++)
        {
            node.Tick();
        }

        Stabilize();
    }

    public void TickAll(int ticks = 1)
    {
        for (var t = 0; t < ticks; t++)
        {
            for (var id = 0; id < Nodes.Length; id++)
            {
                if (!Down[id])
                {
                    Nodes[id].Tick();
                }
            }

            Stabilize();
        }
    }

    public ProposeResult Propose(int id, string command)
    {
        var result = Nodes[id].Propose(System.Text.Encoding.UTF8.GetBytes(command));
        Stabilize();
        return result;
    }

    public void Cut(int from, int to) => cut[from, to] = true;

    public void Isolate(int id)
    {
        for (var other = 0; other < Nodes.Length; other++)
        {
            if (other != id)
            {
                cut[id, other] = true;
                cut[other, id] = true;
            }
        }
    }

    public void Heal() => Array.Clear(cut);

    public void Crash(int id) => Down[id] = true;

    /// <summary>Rebuilds the node from its durable store only.</summary>
    public void Restart(int id)
    {
        Nodes[id] = RaftNode.Restart(Configs[id], new Random(200 + id), Stores[id].ToPersistedState());
        Applied[id] = [];
        Down[id] = false;
    }

    public int? Leader()
    {
        int? leader = null;
        for (var id = 0; id < Nodes.Length; id++)
        {
            if (!Down[id] && Nodes[id].Role == RaftRole.Leader && (leader is null || Nodes[id].Term > Nodes[leader.Value].Term))
            {
                leader = id;
            }
        }

        return leader;
    }

    public string CommandAt(int id, long index) =>
        !Nodes[id].TryGetTerm(index, out _) || index <= Nodes[id].SnapshotIndex ? "(none)"
        : Nodes[id].Log.EntryAt(index) is { Type: EntryType.Normal } entry ? System.Text.Encoding.UTF8.GetString(entry.Data.Span) : "(noop)";

    private bool ProcessReady(int id)
    {
        if (Down[id])
        {
            return false;
        }

        var node = Nodes[id];
        var moved = false;
        while (node.HasReady)
        {
            moved = true;
            var ready = node.GetReady();
            foreach (var message in ready.MessagesBeforePersist)
            {
                network.Enqueue(message);
            }

            Stores[id].Persist(ready);
            foreach (var message in ready.MessagesAfterPersist)
            {
                network.Enqueue(message);
            }

            foreach (var entry in ready.CommittedEntries.Span)
            {
                Applied[id].Add(entry);
            }

            Reads[id].AddRange(ready.ReadStates);
            node.Advance(ready);
        }

        return moved;
    }
}
