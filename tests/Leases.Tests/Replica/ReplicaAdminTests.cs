using LockService.Client;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>Operators' actions through the replica core: a forced release committed through the log, and leadership transfer.</summary>
public sealed class ReplicaAdminTests
{
    private static readonly ClientId Client = new(42);

    private static SessionId Open(ReplicaTrio trio, ulong sequence) =>
        ((ReplicaReply.Session)trio.Send(new ReplicaRequest.OpenSession(new RequestId(Client, sequence), 0, 10_000))).Id;

    private static ReplicaReply.Acquire Acquire(ReplicaTrio trio, SessionId session, ulong sequence, string name) =>
        (ReplicaReply.Acquire)trio.Send(new ReplicaRequest.Acquire(new RequestId(Client, sequence), 0, session, name, LockMode.Exclusive, 0, PollMs: 1));

    [Fact]
    public void A_forced_release_commits_and_the_next_grant_gets_a_higher_token()
    {
        var trio = new ReplicaTrio();
        var session = Open(trio, 1);
        var held = Acquire(trio, session, 2, "orders/42");

        var answer = Assert.IsType<ReplicaReply.Admin>(trio.Send(new ReplicaRequest.ForceRelease("orders/42", UpTo: null)));

        Assert.Equal(ReplyCode.Ok, answer.Code);
        Assert.Equal(held.Token, answer.Token);
        Assert.All(trio.Cores, core => Assert.Null(core.Leases.Describe("orders/42"))); // applied on every replica
        var next = Acquire(trio, Open(trio, 3), 4, "orders/42");
        Assert.Equal(ReplyCode.Granted, next.Code);
        Assert.True(next.Token > held.Token);
    }

    [Fact]
    public void A_forced_release_of_a_free_lock_or_a_bad_name_is_refused()
    {
        var trio = new ReplicaTrio();
        Assert.Equal(ReplyCode.NotHolder, trio.Send(new ReplicaRequest.ForceRelease("free", null)).Code);
        Assert.Equal(ReplyCode.InvalidName, trio.Send(new ReplicaRequest.ForceRelease("", null)).Code);
        Assert.Equal(ReplyCode.NotHolder, trio.Send(new ReplicaRequest.ForceRelease("free", new FencingToken(1, 1))).Code);
    }

    [Fact]
    public void A_follower_refuses_admin_actions_and_names_the_leader()
    {
        var trio = new ReplicaTrio();
        var leader = trio.Core;
        var follower = trio.Cores.First(c => c != leader);

        var answer = trio.Send(follower, new ReplicaRequest.TransferLeadership(null));

        Assert.Equal(ReplyCode.NotLeader, answer.Code);
        Assert.Equal(leader.Raft.Id, answer.LeaderHint);
    }

    [Fact]
    public void A_transfer_to_a_named_caught_up_replica_makes_it_the_leader()
    {
        var trio = new ReplicaTrio();
        var target = trio.Cores.First(c => c != trio.Core).Raft.Id;

        var answer = Assert.IsType<ReplicaReply.Admin>(trio.Send(new ReplicaRequest.TransferLeadership(target)));
        Assert.Equal(ReplyCode.Ok, answer.Code);
        Assert.Equal(target, answer.Target);
        for (var i = 0; i < 40 && trio.LeaderOrNull?.Raft.Id != target; i++)
        {
            trio.Tick();
        }

        Assert.Equal(target, trio.LeaderOrNull?.Raft.Id);
    }

    [Fact]
    public void A_transfer_without_a_target_goes_to_another_caught_up_replica()
    {
        var trio = new ReplicaTrio();
        var before = trio.Core.Raft.Id;

        var answer = Assert.IsType<ReplicaReply.Admin>(trio.Send(new ReplicaRequest.TransferLeadership(null)));

        Assert.Equal(ReplyCode.Ok, answer.Code);
        Assert.NotEqual(before, answer.Target);
        for (var i = 0; i < 40 && trio.LeaderOrNull?.Raft.Id != answer.Target; i++)
        {
            trio.Tick();
        }

        Assert.Equal(answer.Target, trio.LeaderOrNull?.Raft.Id);
    }

    [Fact]
    public void A_transfer_to_a_replica_outside_the_group_is_refused()
    {
        var trio = new ReplicaTrio();
        var leader = trio.Core.Raft.Id;

        Assert.Equal(ReplyCode.InvalidArgument, trio.Send(new ReplicaRequest.TransferLeadership(7)).Code);
        Assert.Equal(leader, trio.Core.Raft.Id);
    }
}
