namespace LockService.Leases.Tests;

/// <summary>The host-side lease clock. Local times are plain values; ε = 1 % unless stated.</summary>
public sealed class LeaseClockTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void First_leader_of_an_empty_log_starts_the_clock_at_zero_and_runs_it_at_one_minus_epsilon()
    {
        var clock = new LeaseClock(0.01);
        clock.BecomeLeader(Ms(5_000));
        Assert.Equal(0, clock.NextClockMs(Ms(5_000)));
        Assert.Equal(990, clock.NextClockMs(Ms(6_000)));
    }

    [Fact]
    public void New_leader_counts_the_time_since_the_last_clock_entry_of_its_log_reached_it()
    {
        var clock = new LeaseClock(0.01);
        clock.OnEntryAppended(7, 10_000, Ms(100));
        clock.BecomeLeader(Ms(1_100)); // the election took 1 s: that second is counted, not lost
        Assert.Equal(10_990, clock.NextClockMs(Ms(1_100)));
    }

    [Fact]
    public void Leader_base_is_the_last_clock_entry_of_the_log_not_the_last_applied_one()
    {
        // Entry 5 (clock 1,000) was applied at local 0. Entry 9 (clock 1,101) arrived at local 1,001 but is not
        // applied yet; its leader had lost time, so its value lags real time. Counting from the applied entry
        // would give 1,000 + 1,200·0.99 = 2,188 at local 1,200: the clock would run 1,087 ms ahead in 199 ms
        // past entry 9, and sessions renewed there would expire early. Counting from entry 9 cannot.
        var clock = new LeaseClock(0.01);
        clock.OnEntryAppended(5, 1_000, Ms(0));
        clock.OnApplied(5);
        clock.OnEntryAppended(9, 1_101, Ms(1_001));
        clock.BecomeLeader(Ms(1_200));
        var next = clock.NextClockMs(Ms(1_200));
        Assert.InRange(next, 1_101, 1_101 + 199);
    }

    [Fact]
    public void Truncated_entries_no_longer_count()
    {
        var clock = new LeaseClock(0.01);
        clock.OnEntryAppended(3, 500, Ms(0));
        clock.OnEntryAppended(4, 9_000, Ms(10));
        clock.OnLogTruncated(4);
        Assert.Equal(500, clock.HighestClockMs);
        clock.OnEntryAppended(4, 600, Ms(20)); // an append replaces the entry at its index
        clock.OnEntryAppended(4, 700, Ms(30));
        Assert.Equal(700, clock.HighestClockMs);
    }

    [Fact]
    public void After_a_restart_a_truncated_tail_falls_back_on_the_clock_entries_before_it()
    {
        // Found by the lease simulation (seed 410 before the fix): a restarted replica was told only about its log's
        // last clock entry; a new leader then truncated that uncommitted entry, the clock knew no entry at all, and
        // once elected the replica wrote clock values from 0: the lease clock stood still, no session expired.
        var clock = new LeaseClock(0.01);
        clock.OnLogLoaded(snapshot: (2, 400), [(5, 1_000), (7, 1_050), (9, 1_100)], Ms(50_000));
        Assert.Equal(1_100, clock.HighestClockMs);
        clock.OnLogTruncated(8); // entry 9 was never committed
        Assert.Equal(1_050, clock.HighestClockMs);
        clock.BecomeLeader(Ms(51_000));
        Assert.Equal(1_050 + 1_980, clock.NextClockMs(Ms(52_000))); // counted from the loading time: the downtime is lost

        clock.OnLogTruncated(3); // even the whole log: the snapshot's clock stays
        Assert.Equal(400, clock.HighestClockMs);
    }

    [Fact]
    public void Leader_clock_never_goes_below_the_highest_value_in_its_log()
    {
        var clock = new LeaseClock(0.01);
        clock.OnEntryAppended(1, 2_000, Ms(1_000));
        clock.BecomeLeader(Ms(900)); // local time before the entry's arrival cannot move the clock back
        Assert.Equal(2_000, clock.NextClockMs(Ms(900)));
    }

    [Fact]
    public void Only_the_leader_proposes_clock_values_and_any_replica_can_estimate()
    {
        var clock = new LeaseClock(0.01);
        Assert.Throws<InvalidOperationException>(() => clock.NextClockMs(Ms(0)));
        clock.OnSnapshotInstalled(100, 4_000, Ms(0));
        Assert.Equal(4_990, clock.EstimateMs(Ms(1_000)));
        clock.BecomeLeader(Ms(1_000));
        Assert.True(clock.IsLeader);
        clock.StepDown();
        Assert.False(clock.IsLeader);
    }

    [Fact]
    public void Client_deadline_is_send_time_plus_ttl_shortened_by_the_rate_bound_and_rounding()
    {
        Assert.Equal(Ms(10_000 + 29_700 - 1), LeaseClock.ClientDeadline(Ms(10_000), TimeSpan.FromSeconds(30), 0.01));
    }
}
