namespace LockService.Client;

/// <summary>
/// Settings of the LockService client, bound with the options pattern and validated when the host starts
/// (see <see cref="LockClientServiceCollectionExtensions.AddLockClient"/>).
/// </summary>
public sealed class LockClientOptions
{
    /// <summary>
    /// Whether a handle dropped without being disposed releases its lock when it is finalized (the default). The
    /// deterministic simulation turns it off: a garbage collector's timing cannot be replayed from a seed, and a
    /// stopped simulated process must not act, as a dead one would not.
    /// </summary>
    internal bool ReleaseAbandonedHandles { get; set; } = true;

    /// <summary>The shortest session TTL the SDK accepts.</summary>
    public static readonly TimeSpan MinSessionTtl = TimeSpan.FromSeconds(1);

    /// <summary>The longest session TTL the SDK accepts.</summary>
    public static readonly TimeSpan MaxSessionTtl = TimeSpan.FromHours(1);

    /// <summary>The largest accepted <see cref="ClockRateBound"/>.</summary>
    public const double MaxClockRateBound = 0.1;

    /// <summary>
    /// How long the service keeps a session (and so every lock it holds) alive without a keepalive. Longer TTLs
    /// survive longer pauses of the client; shorter ones hand the locks of a crashed client to others sooner.
    /// Default 10 s; between 1 s and 1 h.
    /// </summary>
    public TimeSpan SessionTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often the background keepalive renews each session. <c>null</c> (the default) means a third of
    /// <see cref="SessionTtl"/>. Must leave room for at least one retry before the client's own lease deadline
    /// (see <see cref="LeaseSafetyMargin"/>).
    /// </summary>
    public TimeSpan? KeepAliveInterval { get; set; }

    /// <summary>
    /// How long one operation keeps retrying while no leader answers (an election, a silo being evicted) before it
    /// fails with <see cref="LockServiceUnavailableException"/>. An acquire with a longer timeout retries for as
    /// long as its own timeout. Default 30 s.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long one call to one replica may stay unanswered before the SDK tries another replica (a silo that died
    /// but is not yet evicted does not answer at all, so this bounds what a failover costs a caller). Default 1 s.
    /// </summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a waiting acquire's call stays open on the leader before it answers "still queued" and the SDK
    /// re-issues it (with the same request id, so the place in the queue is kept; the leader answers a re-issue from
    /// its state, without a log entry). A waiter whose leader dies learns of it within this plus
    /// <see cref="CallTimeout"/>. Default 1 s.
    /// </summary>
    public TimeSpan WaitPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// ε, the bound on how much faster or slower the client's clock may run than the service's (0.01 = 1 %). The
    /// client's view of its lease is shortened by this fraction of the TTL so that it ends before the service's.
    /// Default 0.01; between 0 and <see cref="MaxClockRateBound"/>.
    /// </summary>
    public double ClockRateBound { get; set; } = 0.01;

    /// <summary>
    /// A fixed amount by which the client's view of its lease ends earlier still, covering the time between the
    /// moment <see cref="LockHandle.LostToken"/> fires and the moment the application stops touching the resource.
    /// Default 100 ms; at least 0.
    /// </summary>
    public TimeSpan LeaseSafetyMargin { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The keepalive interval in effect: <see cref="KeepAliveInterval"/> or a third of the TTL.</summary>
    internal TimeSpan EffectiveKeepAliveInterval => KeepAliveInterval ?? SessionTtl / 3;

    /// <summary>How long the client trusts a session after sending an acknowledged keepalive, for a given TTL.</summary>
    /// <param name="ttl">The TTL the service granted.</param>
    /// <returns><c>ttl · (1 − ε) − 1 ms − margin</c>, never negative: the service's formula
    /// (<see cref="Leases.ClientLease"/>; the 1 ms covers its rounding of lease-clock values to whole milliseconds).</returns>
    internal TimeSpan LocalLeaseFor(TimeSpan ttl) => Leases.ClientLease.For(ttl, ClockRateBound, LeaseSafetyMargin);
}
