using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>An operator's forced release (<see cref="ForceRelease"/>), committed through the log like any command.</summary>
public sealed class ForceReleaseRulesTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly ClientId C2 = LeaseHarness.Client(2);
    private static readonly ClientId C3 = LeaseHarness.Client(3);
    private static readonly SessionId S1 = LeaseHarness.Session(1);
    private static readonly SessionId S2 = LeaseHarness.Session(2);
    private static readonly SessionId S3 = LeaseHarness.Session(3);

    private static LeaseHarness ThreeSessions()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1, 60_000, 0);
        h.Open(C2, S2, 60_000, 0);
        h.Open(C3, S3, 60_000, 0);
        return h;
    }

    [Fact]
    public void A_forced_release_frees_the_lock_and_the_next_grant_has_a_higher_token()
    {
        var h = ThreeSessions();
        var released = h.Grant(C1, S1, "orders/42");

        Assert.Equal(Done.Instance, h.Apply(new ForceRelease("orders/42", released)));

        Assert.Null(h.Machine.Describe("orders/42"));
        var next = h.Grant(C2, S2, "orders/42");
        Assert.True(next > released);
        h.Machine.AssertConsistent();
    }

    [Fact]
    public void The_first_waiter_is_granted_in_the_same_step_with_a_higher_token()
    {
        var h = ThreeSessions();
        var released = h.Grant(C1, S1, "a");
        Assert.IsType<Queued>(h.Acquire(C2, S2, "a", waitUntilMs: 10_000));
        h.Events.Clear();

        h.Apply(new ForceRelease("a", released));

        var resolved = Assert.Single(h.Events.OfType<WaitResolved>());
        Assert.Equal(S2, resolved.Session);
        Assert.True(Assert.IsType<Granted>(resolved.Answer).Token > released);
        Assert.Equal(S2, Assert.Single(h.Machine.Describe("a")!.Holders).Session);
    }

    [Fact]
    public void A_retried_forced_release_never_frees_a_grant_made_after_it()
    {
        var h = ThreeSessions();
        var released = h.Grant(C1, S1, "a");
        h.Apply(new ForceRelease("a", released));
        var newer = h.Grant(C2, S2, "a");
        var before = LeaseHarness.Snapshot(h.Machine, includePosition: false);

        var retried = h.Apply(new ForceRelease("a", released));

        Assert.Equal(RejectionCode.NotHolder, Assert.IsType<Rejected>(retried).Code);
        Assert.Equal(newer, Assert.Single(h.Machine.Describe("a")!.Holders).Token);
        Assert.Equal(before, LeaseHarness.Snapshot(h.Machine, includePosition: false));
    }

    [Fact]
    public void Shared_holders_up_to_the_token_are_released_and_later_ones_keep_the_lock()
    {
        var h = ThreeSessions();
        var first = h.Grant(C1, S1, "a", LockMode.Shared);
        var second = h.Grant(C2, S2, "a", LockMode.Shared);
        var third = h.Grant(C3, S3, "a", LockMode.Shared);

        h.Apply(new ForceRelease("a", second));

        Assert.Equal([third], h.Machine.Describe("a")!.Holders.Select(x => x.Token));
        Assert.True(first < second);
        h.Machine.AssertConsistent();
    }

    [Fact]
    public void The_released_holders_session_lives_on_and_its_old_token_frees_nothing()
    {
        var h = ThreeSessions();
        var released = h.Grant(C1, S1, "a");
        h.Apply(new ForceRelease("a", released));
        var newer = h.Grant(C2, S2, "a");

        Assert.Equal(0, h.Machine.GetSession(S1)!.HeldLocks);
        Assert.IsType<Rejected>(h.Release(C1, S1, "a", released));
        Assert.True(h.Machine.IsCurrent("a", newer));
        Assert.False(h.Machine.IsCurrent("a", released));
    }

    [Fact]
    public void An_unknown_lock_or_a_bad_name_is_refused_and_changes_nothing()
    {
        var h = ThreeSessions();
        h.Grant(C1, S1, "a");
        var before = LeaseHarness.Snapshot(h.Machine, includePosition: false);

        Assert.Equal(RejectionCode.NotHolder, Assert.IsType<Rejected>(h.Apply(new ForceRelease("b", new FencingToken(99, 99)))).Code);
        Assert.Equal(RejectionCode.InvalidName, Assert.IsType<Rejected>(h.Apply(new ForceRelease("", new FencingToken(99, 99)))).Code);
        Assert.Equal(RejectionCode.NotHolder, Assert.IsType<Rejected>(h.Apply(new ForceRelease("a", FencingToken.None))).Code);

        Assert.Single(h.Machine.Describe("a")!.Holders);
        Assert.Equal(before, LeaseHarness.Snapshot(h.Machine, includePosition: false));
    }
}
