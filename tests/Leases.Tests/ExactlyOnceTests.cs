using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Exactly-once per (client, sequence) with bounded client records (Raft dissertation §6.3).</summary>
public sealed class ExactlyOnceTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly SessionId S1 = LeaseHarness.Session(1);
    private static readonly SessionId S2 = LeaseHarness.Session(2);

    [Fact]
    public void Retried_command_gets_the_first_answer_and_is_not_applied_again()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        var acquire = new Acquire(h.NextRequest(C1), 0, S1, "a", LockMode.Exclusive);
        var first = h.Apply(acquire);
        var before = LeaseHarness.Snapshot(h.Machine, includePosition: false);
        Assert.Equal(first, h.Apply(acquire));
        Assert.Equal(before, LeaseHarness.Snapshot(h.Machine, includePosition: false));
    }

    [Fact]
    public void Retried_OpenSession_with_a_new_proposed_id_answers_with_the_session_that_exists()
    {
        var h = new LeaseHarness();
        var request = h.NextRequest(C1);
        Assert.Equal(new SessionOpened(S1), h.Apply(new OpenSession(request, 0, S1, 10_000, 0)));
        Assert.Equal(new SessionOpened(S1), h.Apply(new OpenSession(request, 0, S2, 10_000, 0)));
        Assert.Equal(1, h.Machine.SessionCount);
    }

    [Fact]
    public void Acknowledged_answers_are_forgotten_and_their_stale_copies_refused()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        var old = new Acquire(h.NextRequest(C1), 0, S1, "a", LockMode.Exclusive);
        h.Apply(old);
        h.Apply(new Acquire(h.NextRequest(C1), AnsweredBelow: old.Request.Sequence + 1, S1, "b", LockMode.Exclusive));
        Assert.Equal(RejectionCode.AlreadyAnswered, Assert.IsType<Rejected>(h.Apply(old)).Code);
        Assert.Single(h.Machine.Describe("a")!.Holders);
    }

    [Fact]
    public void Unacknowledged_answers_are_bounded_per_client()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxPendingRequestsPerClient = 3 });
        h.Open(C1, S1);
        h.Acquire(C1, S1, "a");
        h.Acquire(C1, S1, "b");
        var refused = Assert.IsType<Rejected>(h.Acquire(C1, S1, "c"));
        Assert.Equal((RejectionCode.LimitExceeded, LeaseLimit.PendingRequestsPerClient), (refused.Code, refused.Limit));
        Assert.Null(h.Machine.Describe("c"));
    }

    [Fact]
    public void Rejection_is_remembered_so_a_retry_cannot_turn_into_a_grant()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxLocksPerSession = 1 });
        h.Open(C1, S1);
        var token = h.Grant(C1, S1, "a");
        var second = new Acquire(h.NextRequest(C1), 0, S1, "b", LockMode.Exclusive);
        var refused = h.Apply(second);
        h.Release(C1, S1, "a", token);
        Assert.Equal(refused, h.Apply(second));
        Assert.Null(h.Machine.Describe("b"));
    }
}
