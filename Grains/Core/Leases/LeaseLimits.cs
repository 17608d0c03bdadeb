namespace LockService.Leases;

/// <summary>
/// Bounds on everything a client can make the state machine hold. Every replica of a group must use the same
/// limits, since they decide answers: change them only together with the group's configuration.
/// </summary>
public sealed record LeaseLimits
{
    /// <summary>Hard cap on any lock-delay: a lock left unusable longer than this helps nobody.</summary>
    public const long LockDelayCapMs = 60_000;

    public static readonly LeaseLimits Default = new();

    /// <summary>Longest lock name in UTF-8 bytes (default 512).</summary>
    public int MaxLockNameBytes { get; init; } = 512;

    /// <summary>Shortest session time to live (default 1 s).</summary>
    public long MinTtlMs { get; init; } = 1_000;

    /// <summary>Longest session time to live (default 1 h).</summary>
    public long MaxTtlMs { get; init; } = 3_600_000;

    /// <summary>Longest lock-delay a request may ask for (default and cap 60 s).</summary>
    public long MaxLockDelayMs { get; init; } = LockDelayCapMs;

    /// <summary>Holders of one shared lock (default 1,024).</summary>
    public int MaxHoldersPerLock { get; init; } = 1_024;

    /// <summary>Waiters queued on one lock (default 1,024).</summary>
    public int MaxWaitersPerLock { get; init; } = 1_024;

    /// <summary>Locks one session holds or waits for, together (default 10,000).</summary>
    public int MaxLocksPerSession { get; init; } = 10_000;

    /// <summary>Open sessions of one client (default 16).</summary>
    public int MaxSessionsPerClient { get; init; } = 16;

    /// <summary>
    /// Open sessions in one group, of all clients together (default 100,000): client ids cost nothing to make up,
    /// so the per-client cap alone does not bound a flood of fresh identities.
    /// </summary>
    public int MaxSessions { get; init; } = 100_000;

    /// <summary>Remembered answers per client not yet acknowledged by it (default 1,024).</summary>
    public int MaxPendingRequestsPerClient { get; init; } = 1_024;

    /// <summary>Throws if a limit is out of its sensible range.</summary>
    public LeaseLimits Validated()
    {
        Require(MaxLockNameBytes is >= 1 and <= 65_536, nameof(MaxLockNameBytes), "1..65536");
        Require(MinTtlMs >= 1 && MinTtlMs <= MaxTtlMs, nameof(MinTtlMs), "1..MaxTtlMs");
        Require(MaxTtlMs <= 24 * 3_600_000L, nameof(MaxTtlMs), "at most 24 h");
        Require(MaxLockDelayMs is >= 0 and <= LockDelayCapMs, nameof(MaxLockDelayMs), "0..60000");
        Require(MaxHoldersPerLock >= 1, nameof(MaxHoldersPerLock), ">= 1");
        Require(MaxWaitersPerLock >= 0, nameof(MaxWaitersPerLock), ">= 0");
        Require(MaxLocksPerSession >= 1, nameof(MaxLocksPerSession), ">= 1");
        Require(MaxSessionsPerClient >= 1, nameof(MaxSessionsPerClient), ">= 1");
        Require(MaxSessions >= 1, nameof(MaxSessions), ">= 1");
        Require(MaxPendingRequestsPerClient >= 1, nameof(MaxPendingRequestsPerClient), ">= 1");
        return this;
    }

    private static void Require(bool condition, string name, string range)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, $"LeaseLimits.{name} must be {range}.");
        }
    }
}
