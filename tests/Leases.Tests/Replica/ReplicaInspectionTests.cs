using LockService.Client;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>The replica's view for operators (the dashboard's Grain Details): what it shows, and that it is bounded.</summary>
public sealed class ReplicaInspectionTests
{
    private static readonly ClientId Client = new(42);

    private static SessionId Open(ReplicaTrio replica, ulong sequence) =>
        ((ReplicaReply.Session)replica.Send(new ReplicaRequest.OpenSession(new RequestId(Client, sequence), 0, 10_000))).Id;

    private static ReplicaReply.Acquire Acquire(ReplicaTrio replica, SessionId session, ulong sequence, string name, long waitMs = 0) =>
        (ReplicaReply.Acquire)replica.Send(new ReplicaRequest.Acquire(new RequestId(Client, sequence), 0, session, name, LockMode.Exclusive, waitMs, PollMs: 1));

    [Fact]
    public void A_leader_shows_its_position_and_each_lock_with_holder_token_remaining_ttl_and_waiters()
    {
        var replica = new ReplicaTrio();
        var holder = Open(replica, 1);
        var waiter = Open(replica, 2);
        var granted = Acquire(replica, holder, 3, "orders/42");
        Assert.Equal(ReplyCode.Granted, granted.Code);
        Assert.Equal(ReplyCode.Queued, Acquire(replica, waiter, 4, "orders/42", waitMs: 60_000).Code);

        var view = replica.Core.Inspect(replica.Now);

        Assert.Equal("Leader", view.Role);
        Assert.Equal(replica.Core.Raft.Id, view.LeaderId);
        Assert.Equal(replica.Core.Raft.Term, view.Term);
        Assert.Equal(replica.Core.Raft.CommitIndex, view.CommitIndex);
        Assert.Equal(replica.Core.AppliedIndex, view.AppliedIndex);
        Assert.Equal(view.LastLogIndex - view.SnapshotIndex, view.LogEntries);
        Assert.Equal(2, view.Sessions);
        var inspected = Assert.Single(view.Locks);
        Assert.Equal("orders/42", inspected.Lock.Name);
        var shownHolder = Assert.Single(inspected.Lock.Holders);
        Assert.Equal(holder, shownHolder.Session);
        Assert.Equal(granted.Token, shownHolder.Token);
        Assert.InRange(shownHolder.SessionRemainingMs, 1, 10_000);
        Assert.Equal(waiter, Assert.Single(inspected.Lock.Waiters).Session);
        Assert.Equal((1, 1), (inspected.HolderCount, inspected.WaiterCount));
    }

    [Fact]
    public void The_view_holds_at_most_the_first_locks_in_name_order_and_counts_them_all()
    {
        var replica = new ReplicaTrio();
        var session = Open(replica, 1);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(ReplyCode.Granted, Acquire(replica, session, 10 + (ulong)i, $"lock-{4 - i}").Code);
        }

        var view = replica.Core.Inspect(replica.Now, maxLocks: 3);

        Assert.Equal(["lock-0", "lock-1", "lock-2"], view.Locks.Select(l => l.Lock.Name));
        Assert.Equal(5, view.LockCount);
    }

    [Fact]
    public void Inspecting_changes_nothing_and_leaves_no_work()
    {
        var replica = new ReplicaTrio();
        Acquire(replica, Open(replica, 1), 2, "a");
        var applied = replica.Core.AppliedIndex;

        replica.Core.Inspect(replica.Now);

        Assert.True(replica.Core.Outbox.IsEmpty);
        Assert.Equal(applied, replica.Core.AppliedIndex);
    }
}
