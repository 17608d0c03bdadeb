using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>
/// The currency gate lets through at once an acknowledgement that only repeats one this activation already sent with
/// proof in the same term (the commit broadcast's empty appends, heartbeats between reads), and holds anything new.
/// </summary>
public sealed class RepeatedAcknowledgementTests
{
    private static readonly RaftConfig Config = new() { Id = 0, Voters = [0, 1, 2] };
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(1);

    private static LogEntry[] NoOps(long from, long term, int count) =>
        Enumerable.Range(0, count).Select(i => new LogEntry(from + i, term, EntryType.NoOp, ReadOnlyMemory<byte>.Empty)).ToArray();

    /// <summary>A follower at term 2 holding entries 1..3, loaded from storage: it has proved nothing yet.</summary>
    private static ReplicaCore FollowerHolding3() =>
        new(new ReplicaCoreOptions(), Config, new Random(1), new PersistedState(new HardState(2, 1, 0), null, NoOps(1, 2, 3)), Now, () => new SessionId(7));

    /// <summary>Appends 4..5 and finishes the write: the acknowledgement of index 5 in term 2 goes with proof.</summary>
    private static ReplicaCore FollowerThatProvedIndex5()
    {
        var core = FollowerHolding3();
        core.Receive([new AppendEntries(1, 0, 2, 3, 2, 3, NoOps(4, 2, 2))], Now);
        var write = Assert.IsType<StorageWrite>(core.Outbox.Write);
        core.Outbox.Clear();
        core.WriteFinished(write.WriteId, Now);
        Assert.Equal(5, Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages, m => m is AppendResponse)).Index);
        core.Outbox.Clear();
        return core;
    }

    /// <summary>Answers a heartbeat of this round and proves it with a currency check.</summary>
    private static void ProveRound(ReplicaCore core, long term, long round)
    {
        core.Receive([new Heartbeat(1, 0, term, 0, round)], Now);
        var check = Assert.IsType<long>(core.Outbox.VerifyCurrent);
        core.Outbox.Clear();
        core.CurrentVerified(check, current: true, Now);
        Assert.Equal(round, Assert.IsType<HeartbeatResponse>(Assert.Single(core.Outbox.Messages)).Round);
        core.Outbox.Clear();
    }

    [Fact]
    public void The_commit_broadcast_after_a_proven_append_is_acknowledged_without_a_storage_check()
    {
        var core = FollowerThatProvedIndex5();

        core.Receive([new AppendEntries(1, 0, 2, 5, 2, 5, ReadOnlyMemory<LogEntry>.Empty)], Now); // commit 5, nothing new

        var ack = Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages, m => m is AppendResponse));
        Assert.False(ack.Reject);
        Assert.Equal(5, ack.Index);
        Assert.Null(core.Outbox.VerifyCurrent);
        Assert.Null(core.Outbox.Write);
    }

    [Fact]
    public void An_activation_that_proved_nothing_still_holds_the_same_acknowledgement()
    {
        var core = FollowerHolding3();

        core.Receive([new AppendEntries(1, 0, 2, 3, 2, 3, ReadOnlyMemory<LogEntry>.Empty)], Now);

        Assert.DoesNotContain(core.Outbox.Messages, m => m is AppendResponse);
        Assert.NotNull(core.Outbox.VerifyCurrent);
    }

    [Fact]
    public void Heartbeats_of_a_proven_round_are_acknowledged_at_once_and_a_new_round_waits_for_proof()
    {
        var core = FollowerHolding3();
        ProveRound(core, term: 2, round: 4);

        core.Receive([new Heartbeat(1, 0, 2, 0, Round: 4)], Now);
        Assert.Equal(4, Assert.IsType<HeartbeatResponse>(Assert.Single(core.Outbox.Messages)).Round);
        Assert.Null(core.Outbox.VerifyCurrent);
        core.Outbox.Clear();

        core.Receive([new Heartbeat(1, 0, 2, 0, Round: 5)], Now); // a read's round: confirms something new
        Assert.Empty(core.Outbox.Messages);
        Assert.NotNull(core.Outbox.VerifyCurrent);
    }

    [Fact]
    public void Proof_from_an_earlier_term_covers_nothing_in_a_later_one()
    {
        var core = FollowerHolding3();
        ProveRound(core, term: 2, round: 4);

        // A new leader in term 3: the new term is written first, which proves its round 0.
        core.Receive([new Heartbeat(2, 0, 3, 0, Round: 0)], Now);
        var write = Assert.IsType<StorageWrite>(core.Outbox.Write);
        core.Outbox.Clear();
        core.WriteFinished(write.WriteId, Now);
        Assert.Equal(0, Assert.IsType<HeartbeatResponse>(Assert.Single(core.Outbox.Messages)).Round);
        core.Outbox.Clear();

        core.Receive([new Heartbeat(2, 0, 3, 0, Round: 2)], Now); // below term 2's proven round 4, new in term 3
        Assert.Empty(core.Outbox.Messages);
        var check = Assert.IsType<long>(core.Outbox.VerifyCurrent);
        core.Outbox.Clear();

        core.CurrentVerified(check, current: false, Now); // another activation wrote meanwhile
        Assert.Empty(core.Outbox.Messages);
        Assert.True(core.IsStopped);
    }

    [Fact]
    public void A_held_acknowledgement_released_by_a_check_counts_as_proof()
    {
        var core = FollowerHolding3();
        core.Receive([new AppendEntries(1, 0, 2, 3, 2, 3, ReadOnlyMemory<LogEntry>.Empty)], Now);
        var check = Assert.IsType<long>(core.Outbox.VerifyCurrent);
        core.Outbox.Clear();
        core.CurrentVerified(check, current: true, Now);
        Assert.Equal(3, Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages)).Index);
        core.Outbox.Clear();

        core.Receive([new AppendEntries(1, 0, 2, 3, 2, 3, ReadOnlyMemory<LogEntry>.Empty)], Now);

        Assert.Equal(3, Assert.IsType<AppendResponse>(Assert.Single(core.Outbox.Messages)).Index);
        Assert.Null(core.Outbox.VerifyCurrent);
    }
}
