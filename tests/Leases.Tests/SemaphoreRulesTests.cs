using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Semaphores of N permits in the lease state machine. Each test is named after the rule it checks.</summary>
public sealed class SemaphoreRulesTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly ClientId C2 = LeaseHarness.Client(2);
    private static readonly ClientId C3 = LeaseHarness.Client(3);
    private static readonly SessionId S1 = LeaseHarness.Session(1);
    private static readonly SessionId S2 = LeaseHarness.Session(2);
    private static readonly SessionId S3 = LeaseHarness.Session(3);

    private static LeaseHarness ThreeSessions(long ttlMs = 60_000)
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, ttlMs, 0);
        h.Open(C2, S2, ttlMs, 0);
        h.Open(C3, S3, ttlMs, 0);
        return h;
    }

    private static FencingToken Permit(LeaseHarness h, ClientId client, SessionId session, string name, int maxCount) =>
        Assert.IsType<Granted>(h.AcquirePermit(client, session, name, maxCount)).Token;

    [Fact]
    public void At_most_N_permits_are_held_and_each_has_a_higher_token_than_the_one_before()
    {
        var h = ThreeSessions();
        var first = Permit(h, C1, S1, "s", 2);
        var second = Permit(h, C2, S2, "s", 2);
        Assert.True(second > first);
        Assert.Equal(Busy.Instance, h.AcquirePermit(C3, S3, "s", 2));
        var s = h.Machine.Describe("s")!;
        Assert.Equal(2, s.MaxCount);
        Assert.Equal(2, s.Holders.Count);
        Assert.All(s.Holders, x => Assert.Equal(LockMode.Shared, x.Mode));
        h.Machine.AssertConsistent();
    }

    [Fact]
    public void One_session_may_hold_several_permits_of_one_semaphore()
    {
        var h = ThreeSessions();
        var a = Permit(h, C1, S1, "s", 2);
        var b = Permit(h, C1, S1, "s", 2);
        Assert.NotEqual(a, b);
        Assert.Equal(Busy.Instance, h.AcquirePermit(C1, S1, "s", 2));
    }

    [Fact]
    public void Waiters_get_freed_permits_in_FIFO_order_and_nobody_barges_ahead()
    {
        var h = ThreeSessions();
        h.Open(C1, LeaseHarness.Session(4), 60_000, 0);
        var held = Permit(h, C1, S1, "s", 1);
        Assert.Equal(new Queued(1), h.AcquirePermit(C2, S2, "s", 1, waitUntilMs: 50_000));
        Assert.Equal(new Queued(2), h.AcquirePermit(C3, S3, "s", 1, waitUntilMs: 50_000));

        h.Release(C1, S1, "s", held);
        Assert.Equal(S2, Assert.Single(h.Machine.Describe("s")!.Holders).Session);
        Assert.Equal(S3, Assert.Single(h.Machine.Describe("s")!.Waiters).Session);
        Assert.Equal(new Queued(2), h.AcquirePermit(C1, LeaseHarness.Session(4), "s", 1, waitUntilMs: 50_000)); // behind S3
    }

    [Fact]
    public void A_permit_is_freed_when_its_session_expires_and_goes_to_the_first_waiter()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, 1_000, 0);
        h.Open(C2, S2, 60_000, 0);
        var expired = Permit(h, C1, S1, "s", 1);
        h.AcquirePermit(C2, S2, "s", 1, waitUntilMs: 50_000);

        h.Tick(1_000, S2);
        var holder = Assert.Single(h.Machine.Describe("s")!.Holders);
        Assert.Equal(S2, holder.Session);
        Assert.True(holder.Token > expired);
        Assert.Contains(h.Events, e => e is WaitResolved { Answer: Granted });
    }

    [Fact]
    public void Permits_freed_together_are_granted_one_per_entry_so_no_two_permits_share_a_token()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, 1_000, 0);
        h.Open(C2, S2, 60_000, 0);
        h.Open(C3, S3, 60_000, 0);
        Permit(h, C1, S1, "s", 2);
        Permit(h, C1, S1, "s", 2);
        h.AcquirePermit(C2, S2, "s", 2, waitUntilMs: 50_000);
        h.AcquirePermit(C3, S3, "s", 2, waitUntilMs: 50_000);

        h.Tick(1_000, S2, S3); // S1 expires: two permits free at once
        Assert.Equal([S2], h.Machine.Describe("s")!.Holders.Select(x => x.Session));
        h.Machine.AssertConsistent(); // a free permit beside a waiter is allowed only as a deferred grant

        // A client command changes only what it asks for: a refused one grants nothing deferred.
        Assert.IsType<Rejected>(h.Release(C2, S2, "s", new FencingToken(1, 1)));
        Assert.Single(h.Machine.Describe("s")!.Holders);

        h.Tick(1_050, S2, S3); // the next Tick grants the next waiter
        var holders = h.Machine.Describe("s")!.Holders;
        Assert.Equal([S2, S3], holders.Select(x => x.Session));
        Assert.True(holders[1].Token > holders[0].Token);
        h.Machine.AssertConsistent();
    }

    [Fact]
    public void A_deferred_grant_survives_a_snapshot()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, 1_000, 0);
        h.Open(C2, S2, 60_000, 0);
        h.Open(C3, S3, 60_000, 0);
        Permit(h, C1, S1, "s", 2);
        Permit(h, C1, S1, "s", 2);
        h.AcquirePermit(C2, S2, "s", 2, waitUntilMs: 50_000);
        h.AcquirePermit(C3, S3, "s", 2, waitUntilMs: 50_000);
        h.Tick(1_000, S2, S3);

        var restored = LeaseStateMachine.Restore(h.Snapshot());
        restored.AssertConsistent();
        Assert.Equal(h.Snapshot(), LeaseHarness.Snapshot(restored)); // one state, one snapshot
        var next = new Tick(1_050, [S2, S3]);
        h.Apply(next);
        restored.Apply(next, h.Term, h.Index);
        Assert.Equal(h.Snapshot(), LeaseHarness.Snapshot(restored));
        Assert.Equal(2, restored.Describe("s")!.Holders.Count);
    }

    [Fact]
    public void A_name_is_a_lock_or_a_semaphore_of_one_count_and_mixing_is_refused_with_nothing_changed()
    {
        var h = ThreeSessions();
        Permit(h, C1, S1, "s", 2);
        h.Grant(C1, S1, "l");
        var before = h.Snapshot();

        Assert.Equal(RejectionCode.KindMismatch, Assert.IsType<Rejected>(h.Acquire(C2, S2, "s")).Code);
        Assert.Equal(RejectionCode.KindMismatch, Assert.IsType<Rejected>(h.AcquirePermit(C2, S2, "s", 3)).Code);
        Assert.Equal(RejectionCode.KindMismatch, Assert.IsType<Rejected>(h.AcquirePermit(C2, S2, "l", 1, waitUntilMs: 50_000)).Code);
        Assert.Equal(
            LeaseHarness.Snapshot(LeaseStateMachine.Restore(before), includePosition: false, includeAnswers: false),
            LeaseHarness.Snapshot(h.Machine, includePosition: false, includeAnswers: false));
    }

    [Fact]
    public void Once_a_semaphore_is_free_its_name_can_be_used_again_with_another_count()
    {
        var h = ThreeSessions();
        var token = Permit(h, C1, S1, "s", 2);
        h.Release(C1, S1, "s", token);
        Assert.Null(h.Machine.Describe("s"));
        Assert.IsType<Granted>(h.AcquirePermit(C2, S2, "s", 5));
        Assert.Equal(5, h.Machine.Describe("s")!.MaxCount);
    }

    [Theory]
    [InlineData(-1, LockMode.Shared, 0)]
    [InlineData(1_025, LockMode.Shared, 0)]
    [InlineData(2, LockMode.Exclusive, 0)]
    [InlineData(2, LockMode.Shared, 100)]
    public void Bad_semaphore_arguments_are_refused(int maxCount, LockMode mode, long lockDelayMs)
    {
        var h = ThreeSessions();
        var result = h.Apply(new Acquire(h.NextRequest(C1), 0, S1, "s", mode, Acquire.NoWait, lockDelayMs, maxCount));
        Assert.Equal(RejectionCode.InvalidArgument, Assert.IsType<Rejected>(result).Code);
        Assert.Null(h.Machine.Describe("s"));
    }

    [Fact]
    public void A_state_without_semaphores_keeps_the_version_1_snapshot_and_one_with_them_round_trips_as_version_2()
    {
        var h = ThreeSessions();
        h.Grant(C1, S1, "l");
        Assert.Equal(LeaseStateMachine.SnapshotVersion, LeaseHarness.Snapshot(h.Machine, includeAnswers: false)[4]);

        Permit(h, C2, S2, "s", 3);
        var snapshot = LeaseHarness.Snapshot(h.Machine, includeAnswers: false);
        Assert.Equal(LeaseStateMachine.SemaphoreSnapshotVersion, snapshot[4]);
        var restored = LeaseStateMachine.Restore(snapshot);
        restored.AssertConsistent();
        Assert.Equal(3, restored.Describe("s")!.MaxCount);
        Assert.Equal(0, restored.Describe("l")!.MaxCount);
        Assert.Equal(snapshot, LeaseHarness.Snapshot(restored, includeAnswers: false));
    }

    [Fact]
    public void A_permit_acquire_round_trips_through_the_codec_under_its_own_tag_and_a_lock_acquire_keeps_its_bytes()
    {
        var request = new RequestId(C1, 7);
        var permit = new Acquire(request, 3, S1, "sem/1", LockMode.Shared, 12_345, 0, 4);
        var bytes = LeaseCommandCodec.Encode(permit);
        Assert.Equal(7, bytes[1]);
        Assert.Equal(permit, LeaseCommandCodec.Decode(bytes));

        var plain = new Acquire(request, 3, S1, "sem/1", LockMode.Shared, 12_345);
        var plainBytes = LeaseCommandCodec.Encode(plain);
        Assert.Equal(4, plainBytes[1]);
        Assert.Equal(plain, LeaseCommandCodec.Decode(plainBytes));
        Assert.Equal(bytes.Length - 1, plainBytes.Length);
    }
}
