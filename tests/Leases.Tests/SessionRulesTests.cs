using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Sessions: opening, renewal by ticks, expiry, close. Each test is named after the rule it checks.</summary>
public sealed class SessionRulesTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly ClientId C2 = LeaseHarness.Client(2);
    private static readonly SessionId S1 = LeaseHarness.Session(1);
    private static readonly SessionId S2 = LeaseHarness.Session(2);

    [Fact]
    public void OpenSession_answers_with_the_session_and_starts_its_lease_at_the_proposers_clock()
    {
        var h = new LeaseHarness();
        Assert.Equal(new SessionOpened(S1), h.Open(C1, S1, ttlMs: 5_000, clockMs: 700));
        var info = h.Machine.GetSession(S1)!;
        Assert.Equal(700, info.LastRenewalMs);
        Assert.Equal(5_700, info.DeadlineMs);
        Assert.Equal(700, h.Machine.ClockMs);
    }

    [Fact]
    public void Session_expires_at_the_first_tick_whose_clock_reaches_renewal_plus_ttl()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, ttlMs: 5_000, clockMs: 0);
        h.Tick(4_999);
        Assert.NotNull(h.Machine.GetSession(S1));
        Assert.Equal(new Ticked(5_000, 1, 0), h.Tick(5_000));
        Assert.Null(h.Machine.GetSession(S1));
        Assert.Contains(new SessionEnded(S1, C1, Expired: true), h.Events);
    }

    [Fact]
    public void Renewal_in_a_tick_is_applied_before_expiry_in_the_same_tick()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, ttlMs: 5_000, clockMs: 0);
        h.Tick(6_000, S1);
        var info = h.Machine.GetSession(S1)!;
        Assert.Equal(6_000, info.LastRenewalMs);
        Assert.Equal(11_000, info.DeadlineMs);
    }

    [Fact]
    public void Lease_clock_never_moves_backwards()
    {
        var h = new LeaseHarness();
        h.Tick(1_000);
        h.Tick(500);
        Assert.Equal(1_000, h.Machine.ClockMs);
        h.Open(C1, S1, clockMs: 200);
        Assert.Equal(1_000, h.Machine.GetSession(S1)!.LastRenewalMs);
    }

    [Fact]
    public void Renewal_of_an_unknown_session_is_ignored()
    {
        var h = new LeaseHarness();
        Assert.Equal(new Ticked(10, 0, 0), h.Tick(10, S2));
        Assert.Equal(0, h.Machine.SessionCount);
    }

    [Fact]
    public void Expiry_releases_exactly_the_sessions_locks_and_waits()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, ttlMs: 1_000, clockMs: 0);
        h.Open(C2, S2, ttlMs: 60_000, clockMs: 0);
        h.Grant(C1, S1, "a");
        h.Grant(C2, S2, "b");
        h.Acquire(C1, S1, "b", waitUntilMs: 50_000);
        h.Tick(1_000);
        Assert.Null(h.Machine.Describe("a"));
        var b = h.Machine.Describe("b")!;
        Assert.Single(b.Holders);
        Assert.Equal(S2, b.Holders[0].Session);
        Assert.Empty(b.Waiters);
    }

    [Fact]
    public void Close_releases_locks_without_lock_delay_and_grants_the_next_waiter()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        h.Open(C2, S2);
        h.Acquire(C1, S1, "a", lockDelayMs: 30_000);
        Assert.Equal(new Queued(1), h.Acquire(C2, S2, "a", waitUntilMs: 9_000));
        Assert.Equal(Done.Instance, h.Close(C1, S1));
        Assert.Equal(S2, h.Machine.Describe("a")!.Holders[0].Session);
        Assert.Contains(h.Events, e => e is WaitResolved { Answer: Granted } w && w.Session == S2);
        Assert.Contains(new SessionEnded(S1, C1, Expired: false), h.Events);
    }

    [Fact]
    public void Close_of_a_session_that_is_not_open_is_done_and_changes_nothing()
    {
        var h = new LeaseHarness();
        Assert.Equal(Done.Instance, h.Close(C1, S1));
        Assert.Equal(0, h.Machine.ClientCount);
    }

    [Fact]
    public void A_session_belongs_to_its_client_only()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        h.Open(C2, S2);
        Assert.Equal(RejectionCode.UnknownSession, Assert.IsType<Rejected>(h.Close(C2, S1)).Code);
        Assert.Equal(RejectionCode.UnknownSession, Assert.IsType<Rejected>(h.Acquire(C2, S1, "a")).Code);
        Assert.NotNull(h.Machine.GetSession(S1));
    }

    [Fact]
    public void A_taken_session_id_is_refused()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        Assert.Equal(RejectionCode.SessionExists, Assert.IsType<Rejected>(h.Open(C2, S1)).Code);
    }

    [Fact]
    public void Client_record_lives_with_its_sessions()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, ttlMs: 1_000, clockMs: 0);
        h.Open(C1, S2, ttlMs: 2_000, clockMs: 0);
        h.Tick(1_000);
        Assert.Equal(1, h.Machine.ClientCount);
        h.Tick(2_000);
        Assert.Equal(0, h.Machine.ClientCount);
    }
}
