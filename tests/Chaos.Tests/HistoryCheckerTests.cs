using LockService.Chaos.History;
using static LockService.Chaos.Tests.HistoryBuilder;

namespace LockService.Chaos.Tests;

/// <summary>The checker accepts a correct history and names the property each bad one breaks.</summary>
public sealed class HistoryCheckerTests
{
    private static ChaosHistory Correct() => new HistoryBuilder()
        .Cycle(0, "a", T(1, 2), 0, 10)
        .Cycle(1, "a", T(1, 3), 11, 20)
        .Cycle(0, "b", T(1, 4), 12, 30)
        .Fault("kill-leader", 40, 40)
        .Cycle(1, "a", T(2, 7), 41, 60)
        .Cycle(0, "a", T(2, 8), 61, 70)
        .Build(end: 80);

    private static string[] Kinds(ChaosHistory history) => [.. HistoryChecker.Check(history).Select(v => v.Kind).Distinct()];

    [Fact]
    public void A_correct_history_has_no_violation() => Assert.Empty(HistoryChecker.Check(Correct()));

    [Fact]
    public void A_register_that_accepted_a_lower_token_is_a_violation()
    {
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(1, 5), 0, 10)
            .Cycle(1, "a", T(2, 9), 20, 30)
            .Op(0, "a", T(1, 5), RegisterOpKind.Write, accepted: true, before: 2, expected: 2, after: 3) // a paused holder's late write let through
            .Cycle(1, "a", T(2, 12), 40, 50)
            .Build(end: 60);

        Assert.Contains(Violation.StaleTokenAccepted, Kinds(history));
    }

    [Fact]
    public void A_refused_stale_write_is_no_violation()
    {
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(1, 5), 0, 10)
            .Cycle(1, "a", T(2, 9), 20, 30)
            .Op(0, "a", T(1, 5), RegisterOpKind.Write, accepted: false, before: 2, expected: 1, after: 2)
            .Cycle(1, "a", T(2, 12), 40, 50)
            .Cycle(0, "a", T(2, 14), 51, 52)
            .Build(end: 60);

        Assert.Empty(HistoryChecker.Check(history));
    }

    [Fact]
    public void Two_holders_with_one_token_lose_an_update()
    {
        // Both read 0 under the same token (the register accepts equal tokens), both write 1: one increment is lost.
        var history = new HistoryBuilder()
            .Grant(0, "a", T(1, 5), 0, 1, 10)
            .Grant(1, "a", T(1, 6), 11, 12, 20)
            .Op(0, "a", T(1, 5), RegisterOpKind.Read, true, 0, null, 0)
            .Op(1, "a", T(1, 5), RegisterOpKind.Read, true, 0, null, 0)
            .Op(0, "a", T(1, 5), RegisterOpKind.Write, true, 0, 0, 1)
            .Op(1, "a", T(1, 5), RegisterOpKind.Write, true, 1, 0, 1)
            .Build(end: 30);

        Assert.Contains(Violation.LostUpdate, Kinds(history));
    }

    [Fact]
    public void A_register_whose_value_changed_without_an_accepted_write_lost_an_update()
    {
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(1, 5), 0, 10)
            .Op(1, "a", T(1, 6), RegisterOpKind.Read, true, before: 0, expected: null, after: 0) // the 1 written under token 1.5 vanished
            .Grant(1, "a", T(1, 6), 11, 12, 20)
            .Build(end: 30);

        Assert.Contains(Violation.LostUpdate, Kinds(history));
    }

    [Fact]
    public void A_grant_asked_for_after_another_was_acknowledged_must_have_the_higher_token()
    {
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(2, 10), 0, 10)
            .Cycle(1, "a", T(2, 9), 20, 30) // asked for after 2.10 was acknowledged, granted a lower token
            .Build(end: 40);

        Assert.Contains(Violation.TokenOrder, Kinds(history));
    }

    [Fact]
    public void Concurrent_requests_may_be_granted_in_either_order()
    {
        // Client 1 asked before client 0's grant was acknowledged, so either order is linearizable.
        var history = new HistoryBuilder()
            .Grant(1, "a", T(1, 3), 0, 30, 40)
            .Grant(0, "a", T(1, 2), 1, 2, 25)
            .Build(end: 50);

        Assert.DoesNotContain(Violation.TokenOrder, Kinds(history));
    }

    [Fact]
    public void A_token_handed_out_twice_is_a_violation()
    {
        var history = new HistoryBuilder()
            .Grant(0, "a", T(1, 3), 0, 1, 10)
            .Grant(1, "a", T(1, 3), 0, 11, 20)
            .Build(end: 30);

        Assert.Contains(Violation.DuplicateToken, Kinds(history));
    }

    [Fact]
    public void An_undone_grant_shows_as_two_holders_at_once()
    {
        // After a failover the new leader granted the lock again while client 0 still held it, and later accepted
        // client 0's release: the service counted two holders at once.
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(1, 3), 0, 100)
            .Fault("kill-leader", 20, 20)
            .Cycle(1, "a", T(2, 5), 30, 40)
            .Build(end: 120);

        Assert.Contains(Violation.TwoHolders, Kinds(history));
    }

    [Fact]
    public void A_client_paused_past_its_lease_is_not_a_second_holder()
    {
        // Its lease expired while it slept; when it woke, its release was refused (not acknowledged).
        var history = new HistoryBuilder()
            .Grant(0, "a", T(1, 3), 0, 1, 9000, released: false)
            .Fault("client-pause", 10, 8000, pausedClient: 0)
            .Cycle(1, "a", T(1, 7), 7000, 7100)
            .Cycle(0, "a", T(1, 9), 9100, 9200)
            .Cycle(1, "a", T(1, 11), 9300, 9400)
            .Build(end: 10000);

        Assert.Empty(HistoryChecker.Check(history));
    }

    [Fact]
    public void A_client_that_never_acquires_after_the_last_fault_healed_is_a_violation()
    {
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(1, 3), 0, 10)
            .Cycle(1, "a", T(1, 4), 11, 20)
            .Fault("azurite-restart", 30, 40)
            .Cycle(0, "a", T(2, 8), 41, 50)
            .Build(end: 100);

        var violation = Assert.Single(HistoryChecker.Check(history));
        Assert.Equal(Violation.NoProgress, violation.Kind);
        Assert.Contains("client 1", violation.Detail, StringComparison.Ordinal);
    }
}
