namespace LockService.Leases;

/// <summary>
/// The host's helper for the replicated lease clock: which clock value the leader writes into the next Tick (and
/// OpenSession), and what any replica may assume the lease clock reads now. Pure: local monotonic times are
/// passed in (e.g. <c>Stopwatch.GetElapsedTime(start)</c>); nothing here reads a clock.
/// <para>
/// Assumption: every local monotonic clock runs at a rate within [1 - ε, 1 + ε] of real time (ε = rate bound,
/// 1 % by default). The leader writes <c>base + (now - baseLocalTime)·(1 - ε)</c>, where base is the last
/// clock-carrying entry of its own log when it was elected and baseLocalTime is when that entry reached this
/// replica. Then, for any two clock values v1 before v2 in one log, proposed at real times p1 and p2,
/// <c>v2 - v1 ≤ p2 - p1</c>: the lease clock never advances faster than real time, across any number of leader
/// changes (no early expiry). Only the time between the proposal of the base entry and its arrival here is
/// lost at a change of leader; the election itself is counted (no inflation). See docs/LEASES.md.
/// </para>
/// <para>
/// Why the last entry of the log and not the last applied one: the applied entry may be older than clock entries
/// already in the log. If the leader that wrote those lagged real time (it lost some time at its own election),
/// counting from the older applied entry would catch that time up and move the clock faster than real time past
/// the later entries, expiring sessions renewed there early.
/// </para>
/// </summary>
public sealed class LeaseClock
{
    private readonly double _slowdown;

    // Clock-carrying entries of the local log that could still become its last one: the newest applied one and
    // every later one. Appends and truncations keep this in step with the log.
    private readonly List<Observation> _observations = [];

    private Observation? _leaderBase;

    /// <param name="rateBound">ε: the largest relative drift of any replica's or client's monotonic clock.</param>
    public LeaseClock(double rateBound = DefaultRateBound)
    {
        if (rateBound is < 0 or >= 0.5 || double.IsNaN(rateBound))
        {
            throw new ArgumentOutOfRangeException(nameof(rateBound), "The clock-rate bound must be in [0, 0.5).");
        }

        RateBound = rateBound;
        _slowdown = 1 - rateBound;
    }

    public const double DefaultRateBound = 0.01;

    public double RateBound { get; }

    public bool IsLeader => _leaderBase is not null;

    /// <summary>The highest clock value in the local log (0 when it has none).</summary>
    public long HighestClockMs => _observations.Count == 0 ? 0 : _observations[^1].ClockMs;

    /// <summary>
    /// An entry carrying a clock value (<see cref="LeaseCommandCodec.TryReadClock"/>) was appended to the local
    /// log at <paramref name="localNow"/>: received from the leader, or proposed by this replica as leader. After
    /// a restart, use <see cref="OnLogLoaded"/>.
    /// </summary>
    public void OnEntryAppended(long index, long clockMs, TimeSpan localNow)
    {
        // An append at an index replaces whatever the log had there and after it.
        OnLogTruncated(index);
        _observations.Add(new Observation(index, clockMs, localNow));
    }

    /// <summary>The log lost its entries from <paramref name="firstRemovedIndex"/> on (conflict with a new leader).</summary>
    public void OnLogTruncated(long firstRemovedIndex)
    {
        var keep = _observations.Count;
        while (keep > 0 && _observations[keep - 1].Index >= firstRemovedIndex)
        {
            keep--;
        }

        _observations.RemoveRange(keep, _observations.Count - keep);
    }

    /// <summary>Entries up to <paramref name="appliedIndex"/> are applied (so never truncated): forget older observations.</summary>
    public void OnApplied(long appliedIndex)
    {
        var lastApplied = -1;
        for (var i = 0; i < _observations.Count && _observations[i].Index <= appliedIndex; i++)
        {
            lastApplied = i;
        }

        if (lastApplied > 0)
        {
            _observations.RemoveRange(0, lastApplied);
        }
    }

    /// <summary>
    /// After a restart: the snapshot's index and clock (if there is a snapshot) and every clock-carrying entry of
    /// the loaded log in log order, all as arriving at <paramref name="localNow"/> (later than their real arrival,
    /// so safe; the downtime is not counted). Every entry, not only the last: the log's uncommitted tail may still
    /// be truncated by a new leader, and the clock must then fall back on the clock entry before it, not on nothing
    /// (a leader with no base would write values from 0, and the lease clock would stand still until they caught up
    /// with it: no session would expire meanwhile).
    /// </summary>
    public void OnLogLoaded((long Index, long ClockMs)? snapshot, IEnumerable<(long Index, long ClockMs)> clockEntries, TimeSpan localNow)
    {
        ArgumentNullException.ThrowIfNull(clockEntries);
        _observations.Clear();
        if (snapshot is { } loaded)
        {
            _observations.Add(new Observation(loaded.Index, loaded.ClockMs, localNow));
        }

        foreach (var (index, clockMs) in clockEntries)
        {
            OnEntryAppended(index, clockMs, localNow);
        }
    }

    /// <summary>A snapshot whose state has clock <paramref name="clockMs"/> replaced the log up to <paramref name="index"/>.</summary>
    public void OnSnapshotInstalled(long index, long clockMs, TimeSpan localNow)
    {
        _observations.Clear();
        _observations.Add(new Observation(index, clockMs, localNow));
    }

    /// <summary>This replica became leader at <paramref name="localNow"/>: fix the base of its clock for the term.</summary>
    public void BecomeLeader(TimeSpan localNow) =>
        _leaderBase = _observations.Count == 0 ? new Observation(0, 0, localNow) : _observations[^1];

    public void StepDown() => _leaderBase = null;

    /// <summary>The clock value for the Tick (or OpenSession) the leader proposes at <paramref name="localNow"/>.</summary>
    /// <exception cref="InvalidOperationException">Not the leader.</exception>
    public long NextClockMs(TimeSpan localNow)
    {
        var leaderBase = _leaderBase ?? throw new InvalidOperationException("Only the leader proposes lease-clock values.");
        return Math.Max(HighestClockMs, Advance(leaderBase, localNow));
    }

    /// <summary>
    /// A lower bound of the lease clock any leader could have proposed by now, as far as this replica knows:
    /// for remaining TTLs in queries and for lease-clock wait deadlines.
    /// </summary>
    public long EstimateMs(TimeSpan localNow) =>
        _leaderBase is { } leaderBase ? NextClockMs(localNow)
        : _observations.Count == 0 ? 0
        : Advance(_observations[^1], localNow);

    /// <summary>
    /// The client's own end of its lease: the send time of its last acknowledged keepalive (or OpenSession) plus
    /// ttl·(1 - ε) minus 1 ms, on the client's monotonic clock (<see cref="ClientLease"/>, the SDK's formula too).
    /// With the client's clock rate within 1 ± ε this ends by real time send + ttl - 1 ms, and the service cannot
    /// expire the session before send + ttl - 1 ms (the 1 ms covers the rounding of clock values to whole
    /// milliseconds; see docs/LEASES.md).
    /// </summary>
    public static TimeSpan ClientDeadline(TimeSpan sentAt, TimeSpan ttl, double rateBound = DefaultRateBound) =>
        ClientLease.Deadline(sentAt, ttl, rateBound);

    private long Advance(Observation from, TimeSpan localNow)
    {
        var elapsedMs = Math.Max(0, (localNow - from.LocalTime).TotalMilliseconds);
        return from.ClockMs + (long)Math.Floor(elapsedMs * _slowdown);
    }

    private readonly record struct Observation(long Index, long ClockMs, TimeSpan LocalTime);
}
