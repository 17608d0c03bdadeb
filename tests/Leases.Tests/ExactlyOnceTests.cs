using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Exactly-once per (client, sequence) with bounded client records (Raft dissertation §6.3).</summary>
public sealed class ExactlyOnceTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly ClientId C2 = LeaseHarness.Client(2);
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
    public void A_request_id_reused_for_a_different_command_is_refused_and_changes_nothing()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        var request = h.NextRequest(C1);
        var granted = Assert.IsType<Granted>(h.Apply(new Acquire(request, 0, S1, "a", LockMode.Exclusive)));
        var before = LeaseHarness.Snapshot(h.Machine, includePosition: false);

        LeaseCommand[] others =
        [
            new Acquire(request, 0, S1, "b", LockMode.Exclusive),
            new Acquire(request, 0, S1, "a", LockMode.Shared),
            new Release(request, 0, S1, "a", granted.Token),
            new CloseSession(request, 0, S1),
            new CancelWait(request, 0, S1, "a", 1),
        ];
        foreach (var other in others)
        {
            var refused = Assert.IsType<Rejected>(h.Apply(other));
            Assert.Equal(RejectionCode.InvalidArgument, refused.Code);
            Assert.Equal(before, LeaseHarness.Snapshot(h.Machine, includePosition: false));
        }

        // The same command with what a proposer fills in afresh (wait deadline, AnsweredBelow) still gets its answer.
        Assert.Equal(granted, h.Apply(new Acquire(request, 0, S1, "a", LockMode.Exclusive)));
    }

    [Fact]
    public void Command_fingerprints_survive_a_snapshot_as_version_3_and_older_answers_are_not_compared()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        var request = h.NextRequest(C1);
        var granted = h.Apply(new Acquire(request, 0, S1, "a", LockMode.Exclusive));
        var snapshot = h.Snapshot();
        Assert.Equal(LeaseStateMachine.FingerprintSnapshotVersion, snapshot[4]);

        h.RestoreFromSnapshot();

        Assert.Equal(snapshot, h.Snapshot());
        Assert.Equal(RejectionCode.InvalidArgument, Assert.IsType<Rejected>(h.Apply(new Acquire(request, 0, S1, "other", LockMode.Exclusive))).Code);
        Assert.Equal(granted, h.Apply(new Acquire(request, 0, S1, "a", LockMode.Exclusive)));
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

    [Fact]
    public void A_wait_acknowledged_once_queued_is_answered_from_itself_and_does_not_pin_the_clients_answers()
    {
        // Regression: the client used to keep a long wait unacknowledged, so every later answer of that client was
        // remembered until MaxPendingRequestsPerClient refused all its requests (e.g. a process waiting to become
        // leader while serving other locks). Now the client acknowledges a wait once it is queued.
        var h = new LeaseHarness(new LeaseLimits { MaxPendingRequestsPerClient = 3 });
        h.Open(C2, S2);
        var holder = h.Grant(C2, S2, "leader");
        h.Open(C1, S1);
        var wait = new Acquire(h.NextRequest(C1), 0, S1, "leader", LockMode.Exclusive, WaitUntilMs: 50_000);
        Assert.Equal(new Queued(1), h.Apply(wait));

        // Many more requests than the limit, each acknowledging every answer before it, the wait's included.
        for (var i = 0; i < 10; i++)
        {
            var acquire = h.NextRequest(C1);
            var token = Assert.IsType<Granted>(h.Apply(new Acquire(acquire, acquire.Sequence, S1, "work", LockMode.Exclusive))).Token;
            var release = h.NextRequest(C1);
            Assert.Equal(Done.Instance, h.Apply(new Release(release, release.Sequence, S1, "work", token)));
        }

        // Re-issued, the wait is answered from the queue without applying anything, then with its grant.
        var before = LeaseHarness.Snapshot(h.Machine, includePosition: false);
        Assert.Equal(new Queued(1), h.Apply(wait with { WaitUntilMs = 60_000 }));
        Assert.Equal(before, LeaseHarness.Snapshot(h.Machine, includePosition: false));
        var released = h.NextRequest(C2);
        Assert.Equal(Done.Instance, h.Apply(new Release(released, released.Sequence, S2, "leader", holder)));
        var granted = Assert.IsType<Granted>(Assert.Single(h.Events.OfType<WaitResolved>(), e => e.Request == wait.Request).Answer);
        Assert.Equal(granted, h.Apply(wait));
        Assert.Equal(granted.Token, Assert.Single(h.Machine.Describe("leader")!.Holders).Token);

        // A wait that ended without a grant answers Busy; a copy that does not wait is still refused as stale.
        var second = new Acquire(h.NextRequest(C2), 0, S2, "leader", LockMode.Exclusive, WaitUntilMs: 50_000);
        Assert.Equal(new Queued(1), h.Apply(second));
        Assert.Equal(Done.Instance, h.Cancel(C2, S2, "leader", second.Request.Sequence));
        var later = h.NextRequest(C2);
        h.Apply(new Acquire(later, later.Sequence, S2, "other", LockMode.Exclusive));
        Assert.Equal(Busy.Instance, h.Apply(second));
        Assert.Equal(RejectionCode.AlreadyAnswered, Assert.IsType<Rejected>(h.Apply(second with { WaitUntilMs = Acquire.NoWait })).Code);
        Assert.Empty(h.Machine.Describe("leader")!.Waiters);
    }
}
