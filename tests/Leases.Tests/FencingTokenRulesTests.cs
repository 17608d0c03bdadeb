using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Fencing tokens: (term, index) of the granting entry, increasing per lock; stale tokens free nothing.</summary>
public sealed class FencingTokenRulesTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly ClientId C2 = LeaseHarness.Client(2);
    private static readonly SessionId S1 = LeaseHarness.Session(1);
    private static readonly SessionId S2 = LeaseHarness.Session(2);

    [Fact]
    public void Token_is_the_term_and_index_of_the_granting_entry()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        var token = h.Grant(C1, S1, "a");
        Assert.Equal(new FencingToken(h.Term, h.Index), token);
    }

    [Fact]
    public void Tokens_increase_across_leader_changes_snapshots_and_freed_locks()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        var first = h.Grant(C1, S1, "a");
        h.Release(C1, S1, "a", first);
        Assert.Equal(0, h.Machine.LockCount); // no per-lock record is kept once the lock is free
        h.NewTerm();
        h.RestoreFromSnapshot();
        var second = h.Grant(C1, S1, "a");
        Assert.True(second > first);
    }

    [Fact]
    public void Stale_token_never_frees_a_newer_holder()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        h.Open(C2, S2);
        var old = h.Grant(C1, S1, "a");
        h.Release(C1, S1, "a", old);
        var newer = h.Grant(C2, S2, "a");
        Assert.Equal(RejectionCode.StaleToken, Assert.IsType<Rejected>(h.Release(C1, S1, "a", old)).Code);
        Assert.Equal(RejectionCode.StaleToken, Assert.IsType<Rejected>(h.Release(C2, S2, "a", old)).Code);
        Assert.True(h.Machine.IsCurrent("a", newer));
        Assert.False(h.Machine.IsCurrent("a", old));
    }

    [Fact]
    public void Release_by_a_session_that_does_not_hold_is_NotHolder()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        h.Open(C2, S2);
        var token = h.Grant(C1, S1, "a");
        Assert.Equal(RejectionCode.NotHolder, Assert.IsType<Rejected>(h.Release(C2, S2, "a", token)).Code);
        Assert.Equal(RejectionCode.NotHolder, Assert.IsType<Rejected>(h.Release(C1, S1, "b", token)).Code);
        Assert.Equal(RejectionCode.NotHolder, Assert.IsType<Rejected>(h.Release(C1, S1, "a", new FencingToken(99, 1))).Code);
    }

    [Fact]
    public void Applying_an_entry_at_or_before_the_last_position_is_a_host_error()
    {
        var machine = new LeaseStateMachine();
        machine.Apply(new Tick(1, []), 2, 10);
        Assert.Throws<ArgumentOutOfRangeException>(() => machine.Apply(new Tick(2, []), 2, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => machine.Apply(new Tick(2, []), 1, 11));
    }
}
