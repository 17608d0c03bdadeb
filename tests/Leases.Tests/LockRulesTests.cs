using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Locks: modes, FIFO queue, waits, cancel, lock-delay. Each test is named after the rule it checks.</summary>
public sealed class LockRulesTests
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

    [Fact]
    public void Exclusive_holder_excludes_everyone_else()
    {
        var h = ThreeSessions();
        h.Grant(C1, S1, "a");
        Assert.Equal(Busy.Instance, h.Acquire(C2, S2, "a", LockMode.Exclusive));
        Assert.Equal(Busy.Instance, h.Acquire(C3, S3, "a", LockMode.Shared));
    }

    [Fact]
    public void Shared_holders_coexist_and_each_gets_its_own_grant()
    {
        var h = ThreeSessions();
        var t1 = h.Grant(C1, S1, "a", LockMode.Shared);
        var t2 = h.Grant(C2, S2, "a", LockMode.Shared);
        Assert.True(t2 > t1);
        Assert.Equal(2, h.Machine.Describe("a")!.Holders.Count);
        Assert.Equal(Busy.Instance, h.Acquire(C3, S3, "a", LockMode.Exclusive));
    }

    [Fact]
    public void Queued_exclusive_request_is_not_starved_by_later_shared_requests()
    {
        var h = ThreeSessions();
        var shared = h.Grant(C1, S1, "a", LockMode.Shared);
        Assert.Equal(new Queued(1), h.Acquire(C2, S2, "a", LockMode.Exclusive, waitUntilMs: 50_000));
        Assert.Equal(new Queued(2), h.Acquire(C3, S3, "a", LockMode.Shared, waitUntilMs: 50_000));

        h.Release(C1, S1, "a", shared);
        var a = h.Machine.Describe("a")!;
        Assert.Equal(S2, Assert.Single(a.Holders).Session);
        Assert.Equal(S3, Assert.Single(a.Waiters).Session);
    }

    [Fact]
    public void Shared_waiter_behind_a_blocked_exclusive_waiter_keeps_waiting()
    {
        var h = ThreeSessions();
        h.Open(C1, LeaseHarness.Session(4), 60_000, 0);
        var first = h.Grant(C1, S1, "a", LockMode.Shared);
        h.Grant(C1, LeaseHarness.Session(4), "a", LockMode.Shared);
        h.Acquire(C2, S2, "a", LockMode.Exclusive, waitUntilMs: 50_000);
        h.Acquire(C3, S3, "a", LockMode.Shared, waitUntilMs: 50_000);
        h.Release(C1, S1, "a", first);
        var a = h.Machine.Describe("a")!;
        Assert.Equal([LeaseHarness.Session(4)], a.Holders.Select(x => x.Session));
        Assert.Equal([S2, S3], a.Waiters.Select(x => x.Session));
    }

    [Fact]
    public void Release_grants_the_next_run_of_shared_waiters_in_the_same_step()
    {
        var h = ThreeSessions();
        var token = h.Grant(C1, S1, "a");
        h.Acquire(C2, S2, "a", LockMode.Shared, waitUntilMs: 50_000);
        h.Acquire(C3, S3, "a", LockMode.Shared, waitUntilMs: 50_000);
        h.Events.Clear();
        h.Release(C1, S1, "a", token);
        var granted = h.Events.OfType<WaitResolved>().Select(e => (e.Session, ((Granted)e.Answer).Token)).ToList();
        Assert.Equal([S2, S3], granted.Select(g => g.Session));
        Assert.Equal(2, h.Machine.Describe("a")!.Holders.Count);
    }

    [Fact]
    public void Waiters_are_granted_in_FIFO_order()
    {
        var h = ThreeSessions();
        var token = h.Grant(C1, S1, "a");
        h.Acquire(C3, S3, "a", waitUntilMs: 50_000);
        h.Acquire(C2, S2, "a", waitUntilMs: 50_000);
        h.Release(C1, S1, "a", token);
        Assert.Equal(S3, h.Machine.Describe("a")!.Holders[0].Session);
    }

    [Fact]
    public void Busy_without_wait_and_no_barging_past_waiters()
    {
        var h = ThreeSessions();
        var token = h.Grant(C1, S1, "a", LockMode.Shared);
        h.Acquire(C2, S2, "a", LockMode.Exclusive, waitUntilMs: 50_000);
        Assert.Equal(Busy.Instance, h.Acquire(C3, S3, "a", LockMode.Shared));
        Assert.Equal(Done.Instance, h.Release(C1, S1, "a", token));
    }

    [Fact]
    public void Wait_that_reaches_its_deadline_is_withdrawn_at_a_tick()
    {
        var h = ThreeSessions();
        h.Grant(C1, S1, "a");
        var request = h.NextRequest(C2);
        h.Apply(new Acquire(request, 0, S2, "a", LockMode.Exclusive, WaitUntilMs: 3_000));
        h.Tick(2_999);
        Assert.Single(h.Machine.Describe("a")!.Waiters);
        Assert.Equal(new Ticked(3_000, 0, 1), h.Tick(3_000));
        Assert.Empty(h.Machine.Describe("a")!.Waiters);
        Assert.Contains(new WaitResolved(S2, request, "a", Busy.Instance), h.Events);
        // A retry of the timed-out Acquire learns the final answer.
        Assert.Equal(Busy.Instance, h.Apply(new Acquire(request, 0, S2, "a", LockMode.Exclusive, WaitUntilMs: 3_000)));
    }

    [Fact]
    public void Withdrawn_waiter_unblocks_shared_waiters_behind_it()
    {
        var h = ThreeSessions();
        h.Grant(C1, S1, "a", LockMode.Shared);
        h.Acquire(C2, S2, "a", LockMode.Exclusive, waitUntilMs: 1_000);
        h.Acquire(C3, S3, "a", LockMode.Shared, waitUntilMs: 50_000);
        h.Tick(1_000);
        Assert.Equal(2, h.Machine.Describe("a")!.Holders.Count);
    }

    [Fact]
    public void Retried_Acquire_of_a_promoted_waiter_answers_Granted()
    {
        var h = ThreeSessions();
        var token = h.Grant(C1, S1, "a");
        var request = h.NextRequest(C2);
        var acquire = new Acquire(request, 0, S2, "a", LockMode.Exclusive, WaitUntilMs: 50_000);
        Assert.Equal(new Queued(1), h.Apply(acquire));
        h.Release(C1, S1, "a", token);
        var granted = Assert.IsType<Granted>(h.Apply(acquire));
        Assert.True(h.Machine.IsCurrent("a", granted.Token));
    }

    [Fact]
    public void CancelWait_withdraws_the_waiter_and_a_late_cancel_reports_the_grant()
    {
        var h = ThreeSessions();
        var token = h.Grant(C1, S1, "a");
        var wait = h.NextRequest(C2);
        h.Apply(new Acquire(wait, 0, S2, "a", LockMode.Exclusive, WaitUntilMs: 50_000));
        Assert.Equal(Done.Instance, h.Cancel(C2, S2, "a", wait.Sequence));
        Assert.Empty(h.Machine.Describe("a")!.Waiters);
        Assert.Equal(RejectionCode.NotWaiting, Assert.IsType<Rejected>(h.Cancel(C2, S2, "a", wait.Sequence)).Code);

        var second = h.NextRequest(C3);
        h.Apply(new Acquire(second, 0, S3, "a", LockMode.Exclusive, WaitUntilMs: 50_000));
        h.Release(C1, S1, "a", token);
        Assert.IsType<Granted>(h.Cancel(C3, S3, "a", second.Sequence));
    }

    [Fact]
    public void Lock_delay_after_expiry_blocks_grants_until_it_ends()
    {
        var h = ThreeSessions(ttlMs: 60_000);
        h.Open(C1, LeaseHarness.Session(9), ttlMs: 1_000, clockMs: 0);
        h.Acquire(C1, LeaseHarness.Session(9), "a", lockDelayMs: 5_000);
        h.Acquire(C2, S2, "a", waitUntilMs: 50_000);
        h.Tick(1_000);
        var a = h.Machine.Describe("a")!;
        Assert.Empty(a.Holders);
        Assert.Equal(6_000, a.DelayedUntilMs);
        Assert.Equal(Busy.Instance, h.Acquire(C3, S3, "a"));
        h.Tick(5_999);
        Assert.Empty(h.Machine.Describe("a")!.Holders);
        h.Tick(6_000);
        Assert.Equal(S2, h.Machine.Describe("a")!.Holders[0].Session);
    }

    [Fact]
    public void Lock_delay_started_in_the_tick_that_ends_an_earlier_delay_still_holds()
    {
        var h = ThreeSessions();
        var early = LeaseHarness.Session(8);
        var late = LeaseHarness.Session(9);
        h.Open(C1, early, ttlMs: 1_000, clockMs: 0);
        h.Open(C2, late, ttlMs: 3_000, clockMs: 0);
        h.Acquire(C1, early, "a", LockMode.Shared, lockDelayMs: 2_000);
        h.Acquire(C2, late, "a", LockMode.Shared, lockDelayMs: 2_000);
        h.Acquire(C3, S3, "a", LockMode.Exclusive, waitUntilMs: 50_000);
        h.Tick(1_000); // early expires: delay until 3,000
        h.Tick(3_000); // that delay ends as late expires: a new delay until 5,000
        var a = h.Machine.Describe("a")!;
        Assert.Empty(a.Holders);
        Assert.Equal(5_000, a.DelayedUntilMs);
        h.Tick(4_999);
        Assert.Empty(h.Machine.Describe("a")!.Holders);
        h.Tick(5_000);
        Assert.Equal(S3, h.Machine.Describe("a")!.Holders[0].Session);
    }

    [Fact]
    public void Lock_record_is_kept_during_lock_delay_and_dropped_after()
    {
        var h = ThreeSessions();
        h.Open(C1, LeaseHarness.Session(9), ttlMs: 1_000, clockMs: 0);
        h.Acquire(C1, LeaseHarness.Session(9), "a", lockDelayMs: 2_000);
        h.Tick(1_000);
        Assert.Equal(1, h.Machine.LockCount);
        h.Tick(3_000);
        Assert.Equal(0, h.Machine.LockCount);
    }

    [Fact]
    public void Waiter_of_a_session_that_expires_in_the_same_tick_is_never_granted()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, ttlMs: 1_000, clockMs: 0);
        h.Open(C2, S2, ttlMs: 1_000, clockMs: 0);
        h.Open(C3, S3, ttlMs: 60_000, clockMs: 0);
        h.Grant(C1, S1, "a");
        h.Acquire(C2, S2, "a", waitUntilMs: 50_000);
        h.Acquire(C3, S3, "a", waitUntilMs: 50_000);
        h.Events.Clear();
        h.Tick(1_000);
        Assert.Equal(S3, Assert.Single(h.Machine.Describe("a")!.Holders).Session);
        Assert.DoesNotContain(h.Events, e => e is WaitResolved { Answer: Granted } w && w.Session == S2);
    }

    [Fact]
    public void Locks_are_not_reentrant_a_session_contends_with_itself_like_anyone_else()
    {
        var h = ThreeSessions();
        var first = h.Grant(C1, S1, "a");
        Assert.Same(Busy.Instance, h.Acquire(C1, S1, "a"));
        Assert.Equal(new Queued(1), h.Acquire(C1, S1, "a", waitUntilMs: 50_000));
        var second = h.Acquire(C1, S1, "a", waitUntilMs: 50_000);
        Assert.Equal(new Queued(2), second);

        Assert.Same(Done.Instance, h.Release(C1, S1, "a", first));
        var holder = Assert.Single(h.Machine.Describe("a")!.Holders);
        Assert.Equal(S1, holder.Session);
        Assert.True(holder.Token > first);
        Assert.Single(h.Machine.Describe("a")!.Waiters);
    }

    [Fact]
    public void A_session_may_hold_a_shared_lock_more_than_once_and_releases_each_by_its_token()
    {
        var h = ThreeSessions();
        var one = Assert.IsType<Granted>(h.Acquire(C1, S1, "s", LockMode.Shared)).Token;
        var two = Assert.IsType<Granted>(h.Acquire(C1, S1, "s", LockMode.Shared)).Token;
        Assert.NotEqual(one, two);

        Assert.Same(Done.Instance, h.Release(C1, S1, "s", one));
        Assert.Equal(two, Assert.Single(h.Machine.Describe("s")!.Holders).Token);
        Assert.Equal(RejectionCode.StaleToken, Assert.IsType<Rejected>(h.Release(C1, S1, "s", one)).Code); // a newer grant exists
    }

    [Fact]
    public void List_pages_through_names_in_ordinal_order_filtered_by_prefix()
    {
        var h = ThreeSessions();
        foreach (var name in new[] { "job/3", "job/1", "other", "job/2", "job/10" })
        {
            h.Grant(C1, S1, name);
        }

        var first = h.Machine.List("job/", limit: 2);
        Assert.Equal(["job/1", "job/10"], first.Locks.Select(l => l.Name));
        var second = h.Machine.List("job/", first.Continuation, limit: 2);
        Assert.Equal(["job/2", "job/3"], second.Locks.Select(l => l.Name));
        Assert.Null(second.Continuation);
    }
}
