using LockService.Client;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>Polls of one waiting acquire that the leader holds at once (the SDK's paths to it after a failover).</summary>
public sealed class WaitPollTests
{
    private static readonly ClientId Client = new(7);

    private static SessionId Open(ReplicaTrio replica, ulong sequence) =>
        ((ReplicaReply.Session)replica.Send(new ReplicaRequest.OpenSession(new RequestId(Client, sequence), 0, 30_000))).Id;

    [Fact]
    public void Every_held_poll_of_a_wait_is_answered_with_the_grant_not_only_the_last_one()
    {
        // The direct poll through a stuck gateway, then the same request through another gateway, then a probe the
        // client stops listening to: the grant must reach all three, so it reaches whichever path still works.
        var replica = new ReplicaTrio();
        var holder = Open(replica, 1);
        var waiter = Open(replica, 2);
        var held = (ReplicaReply.Acquire)replica.Send(new ReplicaRequest.Acquire(new RequestId(Client, 3), 0, holder, "x", LockMode.Exclusive, 0, 1));
        Assert.Equal(ReplyCode.Granted, held.Code);

        var wait = new ReplicaRequest.Acquire(new RequestId(Client, 4), 0, waiter, "x", LockMode.Exclusive, WaitMs: 60_000, PollMs: 10_000);
        var polls = new[] { replica.Post(wait), replica.Post(wait), replica.Post(wait) };
        replica.Tick();
        Assert.DoesNotContain(polls, replica.Replies.ContainsKey); // all held: the lock is taken

        var released = replica.Send(new ReplicaRequest.Release(new RequestId(Client, 5), 0, holder, "x", held.Token));
        Assert.Equal(ReplyCode.Ok, ((ReplicaReply.Release)released).Code);
        replica.Settle();

        var answers = polls.Select(p => Assert.IsType<ReplicaReply.Acquire>(replica.Replies[p])).ToArray();
        Assert.All(answers, a => Assert.Equal(ReplyCode.Granted, a.Code));
        Assert.Single(answers.Select(a => a.Token).Distinct()); // one grant, told three times
        Assert.True(answers[0].Token > held.Token);
    }

    [Fact]
    public void A_poll_that_times_out_leaves_the_other_polls_of_the_wait_watched()
    {
        var replica = new ReplicaTrio();
        var holder = Open(replica, 1);
        var waiter = Open(replica, 2);
        var held = (ReplicaReply.Acquire)replica.Send(new ReplicaRequest.Acquire(new RequestId(Client, 3), 0, holder, "x", LockMode.Exclusive, 0, 1));

        var request = new RequestId(Client, 4);
        var shortPoll = replica.Post(new ReplicaRequest.Acquire(request, 0, waiter, "x", LockMode.Exclusive, WaitMs: 60_000, PollMs: 100));
        var longPoll = replica.Post(new ReplicaRequest.Acquire(request, 0, waiter, "x", LockMode.Exclusive, WaitMs: 60_000, PollMs: 10_000));
        for (var i = 0; i < 4; i++)
        {
            replica.Tick();
        }

        Assert.Equal(ReplyCode.Queued, ((ReplicaReply.Acquire)replica.Replies[shortPoll]).Code);
        Assert.False(replica.Replies.ContainsKey(longPoll));

        replica.Send(new ReplicaRequest.Release(new RequestId(Client, 5), 0, holder, "x", held.Token));
        replica.Settle();
        Assert.Equal(ReplyCode.Granted, ((ReplicaReply.Acquire)replica.Replies[longPoll]).Code);
    }
}
