using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>
/// Three replica cores of one group in one test, driven the way the grains drive them (every write finishes, every
/// currency check passes, every message arrives in order), so a test can reach a serving leader and send it requests
/// without the simulator. <see cref="Core"/> is the leader.
/// </summary>
internal sealed class ReplicaTrio
{
    private readonly ReplicaCore[] _cores;
    private readonly Queue<RaftMessage> _inFlight = new();
    private long _nextTicket;
    private long _nextSession = 100;

    public ReplicaTrio(ReplicaCoreOptions? options = null)
    {
        _cores = Enumerable.Range(0, 3)
            .Select(id => new ReplicaCore(
                options ?? new ReplicaCoreOptions(), new RaftConfig { Id = id, Voters = [0, 1, 2] }, new Random(id + 1), PersistedState.Empty, Now,
                () => new SessionId((UInt128)_nextSession++)))
            .ToArray();
        for (var i = 0; i < 200 && LeaderOrNull is null; i++)
        {
            Tick();
        }

        Assert.NotNull(LeaderOrNull);
    }

    public ReplicaCore Core => LeaderOrNull ?? throw new InvalidOperationException("No leader now.");

    public ReplicaCore? LeaderOrNull => _cores.FirstOrDefault(c => c.IsLeader);

    public IReadOnlyList<ReplicaCore> Cores => _cores;

    public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);

    public Dictionary<long, ReplicaReply> Replies { get; } = [];

    /// <summary>What each core reported, in order.</summary>
    public List<(int Replica, ReplicaEvent Event)> Events { get; } = [];

    /// <summary>Requests the cores passed on to their leader (performing them is the test's).</summary>
    public List<ForwardRequest> Forwards { get; } = [];

    public void Tick()
    {
        Now += TimeSpan.FromMilliseconds(50);
        foreach (var core in _cores)
        {
            core.Tick(Now);
        }

        Settle();
    }

    /// <summary>Sends the request to the leader, then performs the cores' work until it answers (at most a few ticks).</summary>
    public ReplicaReply Send(ReplicaRequest request) => Send(Core, request);

    public ReplicaReply Send(ReplicaCore core, ReplicaRequest request)
    {
        var ticket = ++_nextTicket;
        core.Request(ticket, request, Now);
        return AnswerOf(ticket, request);
    }

    /// <summary>Sends the request to the leader and performs the cores' work, without waiting for an answer: its ticket.</summary>
    public long Post(ReplicaRequest request)
    {
        var ticket = ++_nextTicket;
        Core.Request(ticket, request, Now);
        Settle();
        return ticket;
    }

    /// <summary>Sends the request asking <paramref name="core"/> to forward it if it does not lead: the reply, or null if it was forwarded.</summary>
    public ReplicaReply? SendForwarding(ReplicaCore core, ReplicaRequest request, out long ticket)
    {
        ticket = ++_nextTicket;
        core.Request(ticket, request, Now, forwardToLeader: true);
        Settle();
        var sent = ticket;
        return Forwards.Any(f => f.Ticket == sent) ? null : AnswerOf(ticket, request);
    }

    private ReplicaReply AnswerOf(long ticket, ReplicaRequest request)
    {
        Settle();
        for (var i = 0; i < 40 && !Replies.ContainsKey(ticket); i++)
        {
            Tick();
        }

        return Replies.Remove(ticket, out var reply) ? reply : throw new InvalidOperationException($"No answer to {request}.");
    }

    public void Settle()
    {
        var busy = true;
        while (busy)
        {
            busy = false;
            for (var id = 0; id < _cores.Length; id++)
            {
                busy |= Perform(id, _cores[id]);
            }

            while (_inFlight.TryDequeue(out var message))
            {
                _cores[message.To].Receive([message], Now);
                busy = true;
            }
        }
    }

    /// <summary>Performs a core's outbox through the service's own driver; writes and checks succeed at once.</summary>
    private bool Perform(int id, ReplicaCore core)
    {
        var worked = !core.Outbox.IsEmpty;
        core.Outbox.DrainTo(new TrioHost(this, id, core));
        return worked;
    }

    private sealed class TrioHost(ReplicaTrio trio, int id, ReplicaCore core) : IReplicaHost
    {
        public bool Live => true;

        public void Send(IReadOnlyList<RaftMessage> messages)
        {
            foreach (var message in messages)
            {
                trio._inFlight.Enqueue(message);
            }
        }

        public void Reply(long ticket, ReplicaReply reply) => trio.Replies[ticket] = reply;

        public void Forward(ForwardRequest forward) => trio.Forwards.Add(forward);

        public void Report(ReplicaEvent replicaEvent) => trio.Events.Add((id, replicaEvent));

        public void Stop(string reason)
        {
        }

        public void StartWrite(StorageWrite write) => core.WriteFinished(write.WriteId, trio.Now);

        public void StartVerify(long checkId) => core.CurrentVerified(checkId, current: true, trio.Now);

        public void CheckPlacement() => core.PlacementChecked(misplaced: false, trio.Now);

        public void Move()
        {
        }
    }
}
