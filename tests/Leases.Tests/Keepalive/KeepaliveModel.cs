using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests.Keepalive;

/// <summary>
/// A small deterministic model of the keepalive path: three replicas with their own clock rates (within ±ε),
/// a sequence of leaders with random tenures and election gaps, a log replicated with random delays (some
/// followers lag, and a crash loses what was still in flight to some followers), and clients sending keepalives
/// on their own drifting clocks, some of which stop. Every replica keeps a <see cref="LeaseClock"/>; the leader
/// writes its clock values into Tick and OpenSession entries; committed entries are applied in log order to one
/// <see cref="LeaseStateMachine"/> (all replicas apply the same log, so one stands for all). Real time is in ms.
/// </summary>
internal sealed class KeepaliveModel
{
    public const double Epsilon = 0.01;
    public const double TickIntervalMs = 50;
    public const double ElectionTimeoutMs = 1_000;
    public const double MaxReplicationDelayMs = 300;
    public const double MaxClientDelayMs = 20;

    private readonly Random _random;
    private readonly PriorityQueue<Action, (double Time, long Order)> _events = new();
    private readonly Replica[] _replicas;
    private readonly List<Entry> _log = [];
    private readonly List<Client> _clients = [];
    private readonly List<double> _electionTimes = [];
    private readonly LeaseStateMachine _machine = new();
    private readonly bool _shortTenures;
    private long _order;
    private long _term;
    private int _applied;
    private Replica? _leader;
    private double _now;
    private ulong _nextSessionId = 1;

    public KeepaliveModel(int seed)
    {
        _random = new Random(seed);
        _shortTenures = _random.Next(2) == 0;
        _replicas = Enumerable.Range(0, 3).Select(i => new Replica(i, Rate(), _random.NextDouble() * 1e6)).ToArray();
    }

    public List<string> Violations { get; } = [];

    public int ExpiriesChecked { get; private set; }

    public int AbandonedChecked { get; private set; }

    public int Elections { get; private set; }

    public double WorstInflationMs { get; private set; } = double.MinValue;

    public double SmallestMarginMs { get; private set; } = double.MaxValue;

    public void Run()
    {
        for (var i = 0; i < 8; i++)
        {
            var ttl = new[] { 1_000L, 2_000L, 5_000L }[_random.Next(3)];
            var abandonAt = _random.Next(3) == 0 ? double.PositiveInfinity : 1_500 + _random.NextDouble() * 20_000;
            var client = new Client(i, ttl, Rate(), _random.NextDouble() * 1e6, abandonAt);
            _clients.Add(client);
            At(300 + _random.NextDouble() * 1_000, () => SendOpen(client));
        }

        At(0, Elect);
        var end = 40_000.0;
        while (_events.TryDequeue(out var action, out var key) && key.Time <= end)
        {
            _now = key.Time;
            action();
        }

        foreach (var client in _clients.Where(c => c.Created && double.IsFinite(c.AbandonAt) && c.ExpiredAt is null && c.LastSentAt < end - 15_000))
        {
            Violations.Add($"client {client.Number} (ttl {client.TtlMs}) stopped at {client.LastSentAt:F0} and was never expired");
        }
    }

    private double Rate() => 1 - Epsilon + 2 * Epsilon * _random.NextDouble();

    private void At(double time, Action action) => _events.Enqueue(action, (time, _order++));

    private double ClientDelay() => 1 + _random.NextDouble() * (MaxClientDelayMs - 1);

    // ---- Leaders ----

    /// <summary>Raft's choice: a live replica with the longest log. What no live replica has is lost.</summary>
    private void Elect()
    {
        var candidates = _replicas.Where(r => r.Alive).ToList();
        var longest = candidates.Max(r => r.LogLength);
        var leader = candidates.Where(r => r.LogLength == longest).OrderBy(_ => _random.Next()).First();
        if (_log.Count > longest)
        {
            _log.RemoveRange(longest, _log.Count - longest); // never committed: only the dead leader had them
        }

        foreach (var replica in _replicas)
        {
            if (!replica.Alive)
            {
                Restart(replica);
            }
        }

        _term++;
        Elections++;
        _electionTimes.Add(_now);
        _leader = leader;
        foreach (var follower in _replicas.Where(r => r != leader))
        {
            // The new leader brings every follower's log up to its own.
            follower.DropFromIndex = long.MaxValue;
            follower.LastReceiptAt = Math.Max(follower.LastReceiptAt, _now);
            for (var i = follower.LogLength; i < _log.Count; i++)
            {
                var entry = _log[i];
                follower.LastReceiptAt += 1 + _random.NextDouble() * 19;
                At(follower.LastReceiptAt, () => Receive(follower, entry));
            }
        }

        leader.Clock.BecomeLeader(leader.Local(_now));
        leader.PendingKeepalives.Clear();
        var term = _term;
        var tenure = _shortTenures ? 100 + _random.NextDouble() * 500 : 500 + _random.NextDouble() * 8_000;
        At(_now + tenure, () => Crash(leader, term));
        LeaderTick(leader, term);
    }

    /// <summary>A crashed replica comes back: its log is cut to the leader's, its clock memory is gone.</summary>
    private void Restart(Replica replica)
    {
        replica.Alive = true;
        replica.LogLength = Math.Min(replica.LogLength, _log.Count);
        replica.Clock = new LeaseClock(Epsilon);
        replica.LastReceiptAt = _now;
        var lastClock = _log.Take(replica.LogLength).LastOrDefault(e => e.ClockMs is not null);
        if (lastClock is not null)
        {
            replica.Clock.OnEntryAppended(lastClock.Index, lastClock.ClockMs!.Value, replica.Local(_now));
        }
    }

    private void Crash(Replica leader, long term)
    {
        if (_term != term)
        {
            return;
        }

        leader.Alive = false;
        leader.Clock.StepDown();
        _leader = null;

        // Appends still in flight to a follower are lost with some luck; the follower's log ends earlier.
        foreach (var follower in _replicas.Where(r => r.Alive))
        {
            if (_random.Next(2) == 0)
            {
                follower.DropFromIndex = _log.Count > 0 ? _log.Count - _random.Next(Math.Min(3, _log.Count)) : 0;
            }
        }

        At(_now + 150 + _random.NextDouble() * (ElectionTimeoutMs - 150), Elect);
    }

    private void LeaderTick(Replica leader, long term)
    {
        if (_term != term || !leader.Alive)
        {
            return;
        }

        var renewed = leader.PendingKeepalives.ToList();
        leader.PendingKeepalives.Clear();
        var clockMs = leader.Clock.NextClockMs(leader.Local(_now));
        Propose(leader, new Tick(clockMs, renewed.Select(k => k.Client.Session).ToArray()), clockMs, renewed, opener: null);
        At(_now + TickIntervalMs / leader.Rate, () => LeaderTick(leader, term)); // 50 ms on the leader's clock
    }

    private void Propose(Replica leader, LeaseCommand command, long? clockMs, List<Keepalive> renewed, Client? opener)
    {
        var entry = new Entry(_log.Count + 1, _term, command, clockMs, renewed, opener, _now);
        _log.Add(entry);
        leader.LogLength = _log.Count;
        if (clockMs is { } value)
        {
            leader.Clock.OnEntryAppended(entry.Index, value, leader.Local(_now));
        }

        foreach (var follower in _replicas.Where(r => r.Alive && r != leader))
        {
            var delay = _random.Next(10) == 0 ? _random.NextDouble() * MaxReplicationDelayMs : 1 + _random.NextDouble() * 19;
            var receiptAt = Math.Max(follower.LastReceiptAt, _now + delay);
            follower.LastReceiptAt = receiptAt;
            At(receiptAt, () => Receive(follower, entry));
        }
    }

    /// <summary>A follower appends the entry (in order); the first follower to have it commits it (majority of 3).</summary>
    private void Receive(Replica follower, Entry entry)
    {
        if (!follower.Alive || entry.Index > _log.Count || !ReferenceEquals(_log[(int)entry.Index - 1], entry) ||
            entry.Index != follower.LogLength + 1 || entry.Index >= follower.DropFromIndex)
        {
            return;
        }

        follower.LogLength = (int)entry.Index;
        if (entry.ClockMs is { } value)
        {
            follower.Clock.OnEntryAppended(entry.Index, value, follower.Local(_now));
        }

        ApplyCommittedUpTo((int)entry.Index);
    }

    /// <summary>Applies the log up to <paramref name="index"/> in order; acknowledgements go back to clients.</summary>
    private void ApplyCommittedUpTo(int index)
    {
        while (_applied < index)
        {
            var entry = _log[_applied++];
            var events = new List<LeaseEvent>();
            var answer = _machine.Apply(entry.Command, entry.Term, entry.Index, events);
            foreach (var replica in _replicas.Where(r => r.Alive))
            {
                // Each replica applies when it learns of the commit, some much later (a slow disk, a busy silo).
                var clock = replica.Clock;
                replica.LastApplyAt = Math.Max(replica.LastApplyAt, _now + (_random.Next(10) == 0 ? _random.NextDouble() * 600 : 5 + _random.NextDouble() * 55));
                At(replica.LastApplyAt, () => clock.OnApplied(entry.Index));
            }

            foreach (var ended in events.OfType<SessionEnded>())
            {
                CheckExpiry(_clients.Single(c => c.Session == ended.Session));
            }

            // Acknowledgements count from the apply (the client hears of them a little later, which only makes
            // its view of the deadline later than what is checked here).
            if (entry.Opener is { } opener && answer is SessionOpened)
            {
                opener.Created = true;
                opener.Acknowledge(opener.OpenSentAt);
            }

            foreach (var keepalive in entry.Renewed.Where(k => _machine.GetSession(k.Client.Session) is not null))
            {
                keepalive.Client.Acknowledge(keepalive.SentAt);
            }
        }
    }

    // ---- Clients ----

    private void SendOpen(Client client)
    {
        client.Session = new SessionId(_nextSessionId++);
        client.OpenSentAt = _now;
        At(_now + ClientDelay(), () =>
        {
            if (_leader is { Alive: true } leader)
            {
                var request = new RequestId(LeaseHarness.Client(client.Number + 1), 1);
                var clockMs = leader.Clock.NextClockMs(leader.Local(_now));
                Propose(leader, new OpenSession(request, 0, client.Session, client.TtlMs, clockMs), clockMs, [], client);
                client.Opened = true;
                client.LastSentAt = client.OpenSentAt;
                At(_now + KeepaliveInterval(client), () => SendKeepalive(client));
            }
            else
            {
                At(_now + 100, () => SendOpen(client));
            }
        });
    }

    private double KeepaliveInterval(Client client) => client.TtlMs / 3.0 * (0.5 + _random.NextDouble() * 0.5) / client.Rate;

    private void SendKeepalive(Client client)
    {
        if (_now >= client.AbandonAt || client.ExpiredAt is not null)
        {
            return;
        }

        client.LastSentAt = _now;
        var keepalive = new Keepalive(client, _now);
        At(_now + ClientDelay(), () => _leader?.PendingKeepalives.Add(keepalive));
        At(_now + KeepaliveInterval(client), () => SendKeepalive(client));
    }

    // ---- Properties ----

    /// <summary>
    /// (1) No early expiry: the expiry is applied no earlier than the client's own deadline, send time of its last
    /// acknowledged keepalive plus ttl·(1 − ε) on its clock. (2) No inflation: a client that stopped is expired
    /// within TTL + one election timeout + the stated bound (see docs/LEASES.md).
    /// </summary>
    private void CheckExpiry(Client client)
    {
        client.ExpiredAt = _now;
        ExpiriesChecked++;
        var ownDeadline = client.DeadlineRealTime(Epsilon);
        SmallestMarginMs = Math.Min(SmallestMarginMs, _now - ownDeadline);
        if (_now < ownDeadline)
        {
            Violations.Add($"early expiry: client {client.Number} (ttl {client.TtlMs}) expired at {_now:F1}, its own deadline is {ownDeadline:F1}");
        }

        if (double.IsFinite(client.AbandonAt))
        {
            AbandonedChecked++;
            var elections = ElectionsBetween(client.LastSentAt, _now);
            var bound = InflationBoundMs(client.TtlMs, elections);
            WorstInflationMs = Math.Max(WorstInflationMs, _now - client.LastSentAt - bound);
            if (_now - client.LastSentAt > bound)
            {
                Violations.Add($"inflation: client {client.Number} (ttl {client.TtlMs}) last sent at {client.LastSentAt:F1}, expired at {_now:F1} > bound {bound:F1} after {elections} elections");
            }
        }
    }

    private int ElectionsBetween(double from, double to) => _electionTimes.Count(t => t > from && t <= to);

    /// <summary>
    /// The stated bound on the time from a client's last keepalive to its expiry: the keepalive reaches the leader
    /// and its Tick (client delay + one tick), the lease clock covers ttl plus what each leader change loses (at
    /// most one replication delay) at rate ≥ (1 − ε)², then the next Tick commits (one tick + replication delay),
    /// possibly after one more election.
    /// </summary>
    public static double InflationBoundMs(long ttlMs, int elections) =>
        MaxClientDelayMs + TickIntervalMs
        + (ttlMs + elections * (MaxReplicationDelayMs + 1)) / ((1 - Epsilon) * (1 - Epsilon))
        + ElectionTimeoutMs + 2 * TickIntervalMs + 2 * MaxReplicationDelayMs;

    private sealed class Replica(int number, double rate, double offset)
    {
        public int Number { get; } = number;

        public double Rate { get; } = rate;

        public bool Alive { get; set; } = true;

        public int LogLength { get; set; }

        public long DropFromIndex { get; set; } = long.MaxValue;

        public double LastReceiptAt { get; set; }

        public double LastApplyAt { get; set; }

        public LeaseClock Clock { get; set; } = new(Epsilon);

        public List<Keepalive> PendingKeepalives { get; } = [];

        public TimeSpan Local(double realMs) => TimeSpan.FromMilliseconds(offset + Rate * realMs);

        public override string ToString() => $"replica {Number}";
    }

    private sealed class Client(int number, long ttlMs, double rate, double offset, double abandonAt)
    {
        private double _lastAcknowledgedSend = double.NegativeInfinity;

        public int Number { get; } = number;

        public long TtlMs { get; } = ttlMs;

        public double Rate { get; } = rate;

        public double AbandonAt { get; } = abandonAt;

        public SessionId Session { get; set; }

        public bool Opened { get; set; }

        public bool Created { get; set; }

        public double OpenSentAt { get; set; }

        public double LastSentAt { get; set; }

        public double? ExpiredAt { get; set; }

        public void Acknowledge(double sentAt) => _lastAcknowledgedSend = Math.Max(_lastAcknowledgedSend, sentAt);

        /// <summary>The real time at which the client's own clock reaches its deadline (send + ttl·(1 − ε) locally).</summary>
        public double DeadlineRealTime(double epsilon)
        {
            if (double.IsNegativeInfinity(_lastAcknowledgedSend))
            {
                return double.NegativeInfinity; // never told the session was open: believes nothing
            }

            var sentLocal = TimeSpan.FromMilliseconds(offset + Rate * _lastAcknowledgedSend);
            var deadlineLocal = LeaseClock.ClientDeadline(sentLocal, TimeSpan.FromMilliseconds(TtlMs), epsilon);
            return (deadlineLocal.TotalMilliseconds - offset) / Rate;
        }
    }

    private sealed record Keepalive(Client Client, double SentAt);

    private sealed record Entry(long Index, long Term, LeaseCommand Command, long? ClockMs, List<Keepalive> Renewed, Client? Opener, double ProposedAt);
}
