using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests;

/// <summary>Every limit is a typed rejection that leaves sessions, locks and waiters unchanged.</summary>
public sealed class LimitsTests
{
    private static readonly ClientId C1 = LeaseHarness.Client(1);
    private static readonly ClientId C2 = LeaseHarness.Client(2);
    private static readonly SessionId S1 = LeaseHarness.Session(1);
    private static readonly SessionId S2 = LeaseHarness.Session(2);

    private static void AssertRefusedWithoutChange(LeaseHarness h, Func<LeaseResult> command, RejectionCode code, LeaseLimit limit = LeaseLimit.None)
    {
        var before = LeaseHarness.Snapshot(h.Machine, includePosition: false, includeAnswers: false);
        var rejected = Assert.IsType<Rejected>(command());
        Assert.Equal((code, limit), (rejected.Code, rejected.Limit));
        Assert.False(string.IsNullOrWhiteSpace(rejected.Message));
        Assert.Equal(before, LeaseHarness.Snapshot(h.Machine, includePosition: false, includeAnswers: false));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tab\there")]
    [InlineData("del\u007f")]
    [InlineData("c1\u0085")]
    public void Lock_name_must_be_non_empty_without_control_characters(string name)
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        AssertRefusedWithoutChange(h, () => h.Acquire(C1, S1, name), RejectionCode.InvalidName);
    }

    [Fact]
    public void Lock_name_must_be_valid_unicode()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        AssertRefusedWithoutChange(h, () => h.Acquire(C1, S1, "lone" + '\ud800'), RejectionCode.InvalidName);
        AssertRefusedWithoutChange(h, () => h.Acquire(C1, S1, '\udc00' + "x"), RejectionCode.InvalidName);
    }

    [Fact]
    public void Lock_name_is_at_most_512_utf8_bytes()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        Assert.IsType<Granted>(h.Acquire(C1, S1, new string('é', 256)));
        AssertRefusedWithoutChange(h, () => h.Acquire(C1, S1, new string('é', 256) + "x"), RejectionCode.InvalidName);
        Assert.IsType<Granted>(h.Acquire(C1, S1, "🔒 ünïcödé"));
    }

    [Theory]
    [InlineData(999)]
    [InlineData(3_600_001)]
    public void Ttl_is_between_one_second_and_one_hour(long ttlMs)
    {
        var h = new LeaseHarness();
        AssertRefusedWithoutChange(h, () => h.Open(C1, S1, ttlMs), RejectionCode.InvalidTtl);
        Assert.IsType<SessionOpened>(h.Open(C1, S1, 1_000));
        Assert.IsType<SessionOpened>(h.Open(C1, S2, 3_600_000));
    }

    [Fact]
    public void Lock_delay_is_at_most_sixty_seconds()
    {
        var h = new LeaseHarness();
        h.Open(C1, S1);
        AssertRefusedWithoutChange(h, () => h.Acquire(C1, S1, "a", lockDelayMs: 60_001), RejectionCode.InvalidArgument);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LeaseLimits { MaxLockDelayMs = 60_001 }.Validated());
    }

    [Fact]
    public void Holders_per_shared_lock_are_bounded()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxHoldersPerLock = 1 });
        h.Open(C1, S1);
        h.Open(C2, S2);
        h.Grant(C1, S1, "a", LockMode.Shared);
        AssertRefusedWithoutChange(h, () => h.Acquire(C2, S2, "a", LockMode.Shared), RejectionCode.LimitExceeded, LeaseLimit.HoldersPerLock);
        Assert.Equal(new Queued(1), h.Acquire(C2, S2, "a", LockMode.Shared, waitUntilMs: 5_000));
    }

    [Fact]
    public void Waiters_per_lock_are_bounded()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxWaitersPerLock = 0 });
        h.Open(C1, S1);
        h.Open(C2, S2);
        h.Grant(C1, S1, "a");
        AssertRefusedWithoutChange(h, () => h.Acquire(C2, S2, "a", waitUntilMs: 5_000), RejectionCode.LimitExceeded, LeaseLimit.WaitersPerLock);
    }

    [Fact]
    public void Locks_per_session_are_bounded()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxLocksPerSession = 1 });
        h.Open(C1, S1);
        h.Grant(C1, S1, "a");
        AssertRefusedWithoutChange(h, () => h.Acquire(C1, S1, "b"), RejectionCode.LimitExceeded, LeaseLimit.LocksPerSession);
    }

    [Fact]
    public void Sessions_per_client_are_bounded()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxSessionsPerClient = 1 });
        h.Open(C1, S1);
        AssertRefusedWithoutChange(h, () => h.Open(C1, S2), RejectionCode.LimitExceeded, LeaseLimit.SessionsPerClient);
    }

    [Fact]
    public void Sessions_per_group_are_bounded_whatever_client_ids_are_made_up()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxSessions = 2 });
        h.Open(C1, S1);
        h.Open(LeaseHarness.Client(7), LeaseHarness.Session(7));
        AssertRefusedWithoutChange(h, () => h.Open(LeaseHarness.Client(8), LeaseHarness.Session(8)), RejectionCode.LimitExceeded, LeaseLimit.SessionsPerGroup);
    }

    [Fact]
    public void Ten_thousand_waiters_on_one_lock_queue_up_to_the_limit_and_the_rest_are_refused_without_change()
    {
        var h = new LeaseHarness(new LeaseLimits { MaxSessions = 20_000 });
        const int Waiters = 10_000;
        h.Open(C1, S1);
        h.Grant(C1, S1, "hot");
        var queued = 0;
        for (var i = 0; i < Waiters; i++)
        {
            var (client, session) = (LeaseHarness.Client(1_000 + i), LeaseHarness.Session(1_000 + i));
            h.Open(client, session);
            if (queued < h.Machine.Limits.MaxWaitersPerLock)
            {
                Assert.IsType<Queued>(h.Acquire(client, session, "hot", waitUntilMs: h.Machine.ClockMs + 60_000));
                queued++;
            }
            else if (i % 1_000 == 0)
            {
                // The whole state compared before and after: a sample, as each comparison writes two snapshots.
                AssertRefusedWithoutChange(
                    h, () => h.Acquire(client, session, "hot", waitUntilMs: h.Machine.ClockMs + 60_000), RejectionCode.LimitExceeded, LeaseLimit.WaitersPerLock);
            }
            else
            {
                var refused = Assert.IsType<Rejected>(h.Acquire(client, session, "hot", waitUntilMs: h.Machine.ClockMs + 60_000));
                Assert.Equal(LeaseLimit.WaitersPerLock, refused.Limit);
            }
        }

        Assert.Equal(h.Machine.Limits.MaxWaitersPerLock, h.Machine.Describe("hot", h.Machine.ClockMs)!.Waiters.Count);
    }
}
