using LockService.Client;
using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>
/// Forwarding to the leader is the core's decision (<see cref="ForwardRequest"/>): a follower asked to forward passes
/// on what it would answer NotLeader when it knows another leader; the host's one hop reaches the leader as a plain
/// request, which the leader deduplicates like any retry.
/// </summary>
public sealed class ForwardingTests
{
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(1);
    private static readonly RequestId Open = new(new ClientId(5), 1);

    private static ReplicaCore FollowerOfReplica1()
    {
        var core = new ReplicaCore(
            new ReplicaCoreOptions(), new RaftConfig { Id = 0, Voters = [0, 1, 2] }, new Random(1),
            new PersistedState(new HardState(2, 1, 0), null, [new LogEntry(1, 2, EntryType.NoOp, ReadOnlyMemory<byte>.Empty)]), Now,
            () => new SessionId(7));
        core.Receive([new Heartbeat(1, 0, 2, 0, Round: 1)], Now);
        core.Outbox.Clear();
        return core;
    }

    [Fact]
    public void A_follower_asked_to_forward_hands_the_request_to_the_leader_it_knows_instead_of_answering()
    {
        var core = FollowerOfReplica1();
        var request = new ReplicaRequest.OpenSession(Open, 0, 2_000);

        core.Request(42, request, Now, forwardToLeader: true);

        Assert.Empty(core.Outbox.Replies);
        Assert.Equal(new ForwardRequest(42, 1, request), Assert.Single(core.Outbox.Forwards));
        Assert.Equal(0, core.OpenRequests);
    }

    [Fact]
    public void A_follower_not_asked_to_forward_answers_NotLeader_with_the_hint()
    {
        var core = FollowerOfReplica1();

        core.Request(42, new ReplicaRequest.OpenSession(Open, 0, 2_000), Now);

        Assert.Empty(core.Outbox.Forwards);
        var (ticket, reply) = Assert.Single(core.Outbox.Replies);
        Assert.Equal((42, ReplyCode.NotLeader, 1), (ticket, reply.Code, reply.LeaderHint));
    }

    [Fact]
    public void A_follower_that_knows_no_leader_answers_NotLeader_even_when_asked_to_forward()
    {
        var core = new ReplicaCore(
            new ReplicaCoreOptions(), new RaftConfig { Id = 0, Voters = [0, 1, 2] }, new Random(1), PersistedState.Empty, Now, () => new SessionId(7));

        core.Request(42, new ReplicaRequest.OpenSession(Open, 0, 2_000), Now, forwardToLeader: true);

        Assert.Empty(core.Outbox.Forwards);
        var (_, reply) = Assert.Single(core.Outbox.Replies);
        Assert.Equal((ReplyCode.NotLeader, -1), (reply.Code, reply.LeaderHint));
    }

    [Fact]
    public void A_follower_that_has_not_heard_from_its_leader_lately_names_no_leader_and_forwards_nothing()
    {
        // The leader's silo is paused: its heartbeats stop. Naming it would send clients (and their forwarded calls)
        // to a replica that cannot answer until it resumes, long after the others have elected a new leader.
        var core = FollowerOfReplica1();
        var now = Now;
        for (var tick = 0; tick < 3; tick++)
        {
            now += TimeSpan.FromMilliseconds(50);
            core.Tick(now);
        }

        core.Outbox.Clear();
        core.Request(42, new ReplicaRequest.OpenSession(Open, 0, 2_000), now, forwardToLeader: true);

        Assert.Empty(core.Outbox.Forwards);
        var (_, silent) = Assert.Single(core.Outbox.Replies);
        Assert.Equal((ReplyCode.NotLeader, -1), (silent.Code, silent.LeaderHint));
        Assert.Equal(1, core.Raft.LeaderId); // still its leader as far as Raft goes: no election has started

        core.Receive([new Heartbeat(1, 0, 2, 0, Round: 2)], now);
        core.Outbox.Clear();
        core.Request(43, new ReplicaRequest.OpenSession(Open, 0, 2_000), now);

        var (_, heard) = Assert.Single(core.Outbox.Replies);
        Assert.Equal((ReplyCode.NotLeader, 1), (heard.Code, heard.LeaderHint));
    }

    [Fact]
    public void Invalid_input_is_refused_by_the_follower_itself_not_forwarded()
    {
        var core = FollowerOfReplica1();

        core.Request(42, new ReplicaRequest.OpenSession(Open, 0, TtlMs: 0), Now, forwardToLeader: true);

        Assert.Empty(core.Outbox.Forwards);
        Assert.Equal(ReplyCode.InvalidTtl, Assert.Single(core.Outbox.Replies).Reply.Code);
    }

    [Fact]
    public void The_leader_asked_to_forward_serves_the_request_itself()
    {
        var trio = new ReplicaTrio();

        var reply = trio.SendForwarding(trio.Core, new ReplicaRequest.OpenSession(Open, 0, 2_000), out _);

        Assert.Equal(ReplyCode.Ok, Assert.IsType<ReplicaReply.Session>(reply).Code);
        Assert.Empty(trio.Forwards);
    }

    [Fact]
    public void A_forwarded_acquire_and_its_retry_by_another_path_are_applied_once()
    {
        var trio = new ReplicaTrio();
        var session = Assert.IsType<ReplicaReply.Session>(trio.Send(new ReplicaRequest.OpenSession(Open, 0, 10_000))).Id;
        var follower = trio.Cores.First(c => !c.IsLeader);
        var acquire = new ReplicaRequest.Acquire(new RequestId(new ClientId(5), 2), 0, session, "lock/a", LockMode.Exclusive, WaitMs: 0, PollMs: 0);

        Assert.Null(trio.SendForwarding(follower, acquire, out var ticket));
        var forward = Assert.Single(trio.Forwards);
        Assert.Equal((ticket, trio.Core.Raft.Id), (forward.Ticket, forward.Leader));

        // The host's one hop: the leader gets the same request, not asking to forward again.
        var viaFollower = Assert.IsType<ReplicaReply.Acquire>(trio.Send(trio.Cores[forward.Leader], forward.Request));
        var direct = Assert.IsType<ReplicaReply.Acquire>(trio.Send(acquire));

        Assert.Equal(ReplyCode.Granted, viaFollower.Code);
        Assert.Equal((ReplyCode.Granted, viaFollower.Token), (direct.Code, direct.Token));
        Assert.Single(trio.Core.Leases.Describe("lock/a", 0)!.Holders);
    }
}
