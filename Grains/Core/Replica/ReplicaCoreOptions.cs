using LockService.Leases;

namespace LockService.Replica;

/// <summary>The replica core's policy settings (the silo binds them from <c>LockServiceOptions</c>).</summary>
public sealed record ReplicaCoreOptions
{
    /// <summary>Stated bound on clock-rate differences; the lease clock is slowed by it.</summary>
    public double ClockRateBound { get; init; } = LeaseClock.DefaultRateBound;

    /// <summary>Longest a request may stay open on the leader (commit, turn in a queue, renewal, read).</summary>
    public TimeSpan MaxPollDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Log compaction period, in applied entries (each replica of a group at its own phase of it).</summary>
    public int SnapshotEveryEntries { get; init; } = 10_000;

    /// <summary>Most session renewals listed in one clock tick entry.</summary>
    public int MaxRenewalsPerTick { get; init; } = 2048;

    /// <summary>Clock tick entries a leader may have proposed and not yet applied before it skips one.</summary>
    public int MaxTicksInFlight { get; init; } = 4;

    /// <summary>
    /// While sessions live, a leader writes a clock entry at least this often even when no renewal or deadline needs
    /// one: a replica that restarts counts its lease clock from the reload of its last clock entry, so this bounds
    /// the time a restart can add to a dead client's session. With no sessions, no clock entry is written at all.
    /// </summary>
    public int IdleClockEntryTicks { get; init; } = 20;

    /// <summary>Ticks between placement checks (the host answers each with <see cref="ReplicaCore.PlacementChecked"/>).</summary>
    public int PlacementCheckTicks { get; init; } = 10;

    /// <summary>What the lease state machine holds at most; every replica of a group must use the same limits.</summary>
    public LeaseLimits LeaseLimits { get; init; } = LeaseLimits.Default;

    /// <summary>Requests per second one client id may send the leader (proposals and renewals; reads are not counted).</summary>
    public double ClientRequestsPerSecond { get; init; } = 500;

    /// <summary>Requests one client id may send in a burst above <see cref="ClientRequestsPerSecond"/>.</summary>
    public double ClientRequestBurst { get; init; } = 1_000;

    /// <summary>Sessions the whole group may open per second (all clients together).</summary>
    public double SessionOpensPerSecond { get; init; } = 500;

    /// <summary>Sessions the group may open in a burst above <see cref="SessionOpensPerSecond"/>.</summary>
    public double SessionOpenBurst { get; init; } = 2_000;

    /// <summary>Client ids the leader keeps rate buckets for at once; new clients past it are answered Overloaded.</summary>
    public int MaxRateLimitedClients { get; init; } = 100_000;

    /// <summary>
    /// Consecutive misplaced checks before a follower moves (a leader waits twice as many, then hands over). Short on
    /// purpose: a replica is misplaced mostly because its home silo came back while it shared a silo with another
    /// replica of its group, and until it moves, one more fault of that silo takes the group's majority (chaos runs
    /// with 3 checks of 1 s saw exactly that: a second fault 20 s after a silo returned stopped the group for 13 s).
    /// </summary>
    public int MisplacedChecksBeforeMove { get; init; } = 1;
}
