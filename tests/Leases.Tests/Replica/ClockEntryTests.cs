using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>No idle writes: a leader proposes a clock Tick only when a renewal, a deadline or a live session needs one.</summary>
public sealed class ClockEntryTests
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void An_idle_group_with_no_sessions_proposes_nothing_and_writes_nothing()
    {
        var leader = new SoloLeader();

        var (ticks, writes) = leader.IdleTicks(1_000);

        Assert.Equal(0, ticks);
        Assert.Equal(0, writes);
    }

    [Fact]
    public void A_quiet_session_costs_one_clock_entry_per_idle_period_and_its_expiry_one_more()
    {
        var options = new ReplicaCoreOptions();
        var leader = new SoloLeader(options);
        var session = leader.OpenSession(ttlMs: 2_000);

        // 1 s of ticks inside the TTL: the periodic entry only (not one per tick, as before).
        var (ticks, _) = leader.IdleTicks(options.IdleClockEntryTicks);
        Assert.Equal(1, ticks);
        Assert.NotNull(leader.Core.Leases.GetSession(session));

        // Past the TTL, with no keepalive: a deadline-driven Tick expires it; afterwards the group is idle again.
        leader.IdleTicks(2 * options.IdleClockEntryTicks);
        Assert.Null(leader.Core.Leases.GetSession(session));
        Assert.Equal((0, 0), leader.IdleTicks(1_000));
    }

    [Fact]
    public void A_keepalive_is_recorded_by_the_next_tick_and_acknowledged_once_it_applies()
    {
        var leader = new SoloLeader();
        var session = leader.OpenSession(ttlMs: 10_000);
        leader.Core.Request(99, new ReplicaRequest.KeepAlive(session, new ClientId(7)), leader.Now);

        var (ticks, _) = leader.IdleTicks(1);

        Assert.Equal(1, ticks);
        var reply = Assert.IsType<ReplicaReply.Session>(Assert.Single(leader.Replies, r => r.Ticket == 99).Reply);
        Assert.Equal(ReplyCode.Ok, reply.Code);
    }

    /// <summary>
    /// A three-replica group in one thread: messages delivered at once, writes and currency checks finished at once,
    /// ticked until one replica leads. Counts the Ticks proposed and the writes made by any replica.
    /// </summary>
    private sealed class SoloLeader : ReplicaProbe
    {
        private readonly ReplicaCore[] _replicas;
        private int _ticksProposed;
        private int _writes;
        private ulong _nextSession;

        public SoloLeader(ReplicaCoreOptions? options = null)
        {
            _replicas = [.. Enumerable.Range(0, 3).Select(id => new ReplicaCore(
                options ?? new ReplicaCoreOptions(), new RaftConfig { Id = id, Voters = [0, 1, 2] }, new Random(3 + id), PersistedState.Empty, Now,
                () => new SessionId(++_nextSession), this))];
            for (var i = 0; i < 500 && !_replicas.Any(r => r.IsLeader); i++)
            {
                Step();
            }

            Core = Assert.Single(_replicas, r => r.IsLeader);
            Step(); // the term's first entry commits and applies everywhere
        }

        public ReplicaCore Core { get; }

        public TimeSpan Now { get; private set; } = TimeSpan.FromSeconds(1);

        public List<(long Ticket, ReplicaReply Reply)> Replies { get; } = [];

        public override void OnProposed(ProposeResult result, LeaseCommand command)
        {
            if (command is Tick)
            {
                _ticksProposed++;
            }
        }

        public SessionId OpenSession(long ttlMs)
        {
            Core.Request(1, new ReplicaRequest.OpenSession(new RequestId(new ClientId(7), 1), 0, ttlMs), Now);
            Settle();
            var reply = Assert.IsType<ReplicaReply.Session>(Assert.Single(Replies, r => r.Ticket == 1).Reply);
            Assert.Equal(ReplyCode.Ok, reply.Code);
            return reply.Id;
        }

        /// <summary>Ticks <paramref name="count"/> times with no request; the Ticks proposed and the writes made meanwhile.</summary>
        public (int Ticks, int Writes) IdleTicks(int count)
        {
            var (ticks, writes) = (_ticksProposed, _writes);
            for (var i = 0; i < count; i++)
            {
                Step();
            }

            return (_ticksProposed - ticks, _writes - writes);
        }

        private void Step()
        {
            Now += TickInterval;
            foreach (var replica in _replicas)
            {
                replica.Tick(Now);
            }

            Settle();
        }

        /// <summary>Delivers every message and finishes every write and check the replicas ask for, until they ask for none.</summary>
        private void Settle()
        {
            for (var guard = 0; guard < 1_000; guard++)
            {
                var busy = false;
                foreach (var replica in _replicas)
                {
                    var outbox = replica.Outbox;
                    var write = outbox.Write;
                    var check = outbox.VerifyCurrent;
                    var messages = outbox.Messages.ToList();
                    Replies.AddRange(outbox.Replies);
                    outbox.Clear();
                    busy |= write is not null || check is not null || messages.Count > 0;
                    if (write is not null)
                    {
                        _writes++;
                        replica.WriteFinished(write.WriteId, Now);
                    }

                    if (check is { } id)
                    {
                        replica.CurrentVerified(id, true, Now);
                    }

                    foreach (var group in messages.GroupBy(m => m.To))
                    {
                        _replicas[group.Key].Receive([.. group], Now);
                    }
                }

                if (!busy)
                {
                    return;
                }
            }

            Assert.Fail("the replicas kept asking for work");
        }
    }
}
