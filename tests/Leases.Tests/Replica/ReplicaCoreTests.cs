using LockService.Hosting;
using LockService.Protocol;
using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>The replica core's own rules, input by input: currency of quorum replies, torn-write repair, hand-over, reply codes.</summary>
public sealed class ReplicaCoreTests
{
    private static readonly RaftConfig Config = new() { Id = 0, Voters = [0, 1, 2] };
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(1);

    private static ReplicaCore Follower(PersistedState? durable = null) =>
        new(new ReplicaCoreOptions(), Config, new Random(1), durable ?? PersistedState.Empty, Now, () => new SessionId(7));

    private static LogEntry[] NoOps(long from, long term, int count) =>
        Enumerable.Range(0, count).Select(i => new LogEntry(from + i, term, EntryType.NoOp, ReadOnlyMemory<byte>.Empty)).ToArray();

    /// <summary>A follower at term 2 holding entries 1..3 (written, so its activation was current then).</summary>
    private static ReplicaCore FollowerHolding3() => Follower(new PersistedState(new HardState(2, 1, 0), null, NoOps(1, 2, 3)));

    [Fact]
    public void A_heartbeat_acknowledgement_waits_for_proof_that_this_activation_is_current()
    {
        var core = FollowerHolding3();
        core.Receive([new Heartbeat(1, 0, 2, 0, Round: 5)], Now);

        Assert.DoesNotContain(core.Outbox.Messages, m => m is HeartbeatResponse);
        var check = Assert.IsType<long>(core.Outbox.VerifyCurrent);
        core.Outbox.Clear();

        core.CurrentVerified(check, current: true, Now);
        var ack = Assert.IsType<HeartbeatResponse>(Assert.Single(core.Outbox.Messages));
        Assert.Equal(5, ack.Round);
    }

    [Fact]
    public void A_stale_activation_never_sends_its_acknowledgement_and_stops()
    {
        var core = FollowerHolding3();
        core.Receive([new AppendEntries(1, 0, 2, 3, 2, 3, ReadOnlyMemory<LogEntry>.Empty)], Now); // entries already held: no write
        Assert.Null(core.Outbox.Write);
        var check = Assert.IsType<long>(core.Outbox.VerifyCurrent);
        core.Outbox.Clear();

        core.CurrentVerified(check, current: false, Now);

        Assert.Empty(core.Outbox.Messages);
        Assert.True(core.IsStopped);
        Assert.NotNull(core.Outbox.Stop);
    }

    [Fact]
    public void An_acknowledgement_of_a_write_goes_once_the_write_is_durable_without_a_separate_check()
    {
        var core = FollowerHolding3();
        core.Receive([new AppendEntries(1, 0, 2, 3, 2, 3, NoOps(4, 2, 2))], Now);
        var write = Assert.IsType<StorageWrite>(core.Outbox.Write);
        Assert.DoesNotContain(core.Outbox.Messages, m => m is AppendResponse);
        core.Outbox.Clear();

        core.WriteFinished(write.WriteId, Now);

        var ack = Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages, m => m is AppendResponse));
        Assert.False(ack.Reject);
        Assert.Equal(5, ack.Index);
    }

    [Fact]
    public void A_write_torn_between_transactions_is_repaired_at_restart_and_the_replica_rejoins()
    {
        // Entries of term 3 reached the store; the hard state of term 3 (written with the batch's last transaction) did not.
        var torn = new PersistedState(new HardState(2, 1, 2), null, [.. NoOps(1, 2, 3), .. NoOps(4, 3, 150)]);
        Assert.Throws<ArgumentException>(() => RaftNode.Restart(Config, new Random(1), torn)); // dead for good without repair

        var core = Follower(torn);
        Assert.Equal(3, core.Raft.Term);
        Assert.Null(core.Raft.VotedFor);

        core.Receive([new AppendEntries(2, 0, 3, 153, 3, 153, NoOps(154, 3, 1))], Now);
        var write = Assert.IsType<StorageWrite>(core.Outbox.Write);
        core.Outbox.Clear();
        core.WriteFinished(write.WriteId, Now);
        var ack = Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages, m => m is AppendResponse));
        Assert.False(ack.Reject);
        Assert.Equal(154, ack.Index);
    }

    [Fact]
    public void A_request_to_a_follower_is_answered_at_once_with_a_hint()
    {
        var core = FollowerHolding3();
        core.Receive([new Heartbeat(1, 0, 2, 0, Round: 1)], Now);
        core.Outbox.Clear();

        core.Request(42, new ReplicaRequest.KeepAlive(new SessionId(9), new ClientId(3)), Now);

        var (ticket, reply) = Assert.Single(core.Outbox.Replies);
        Assert.Equal(42, ticket);
        Assert.Equal(ReplyCode.NotLeader, reply.Code);
        Assert.Equal(1, reply.LeaderHint);
        Assert.Equal(0, core.OpenRequests);
    }

    [Fact]
    public void Reply_codes_are_the_wire_statuses()
    {
        Assert.Equal(Enum.GetNames<ReplyStatus>(), Enum.GetNames<ReplyCode>());
        foreach (var code in Enum.GetValues<ReplyCode>())
        {
            Assert.Equal(code.ToString(), ReplicaWire.ToWire(code).ToString());
        }
    }
}
