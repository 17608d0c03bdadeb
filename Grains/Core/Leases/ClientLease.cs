namespace LockService.Leases;

/// <summary>
/// The one formula for a client's own end of its lease, used by the SDK (<c>LockClientOptions.LocalLeaseFor</c>,
/// the session's deadline) and by the simulator's and the keepalive model's checkers
/// (<see cref="LeaseClock.ClientDeadline"/>). Durations on the client's monotonic clock.
/// </summary>
/// <remarks>
/// A renewal sent at s is received no earlier than s; from then on the service keeps the session for at least ttl
/// of real time less the rounding of lease-clock values to whole milliseconds (docs/LEASES.md). With the client's
/// clock rate within 1 ± ε, ttl·(1 − ε) on the client's clock is at most ttl of real time. So the client's deadline
/// s + ttl·(1 − ε) − 1 ms falls no later than the earliest expiry; the safety margin makes it earlier still.
/// </remarks>
public static class ClientLease
{
    /// <summary>The service rounds lease-clock values to whole milliseconds.</summary>
    public static readonly TimeSpan Rounding = TimeSpan.FromMilliseconds(1);

    /// <summary>How long after sending an acknowledged renewal the client trusts its session.</summary>
    /// <returns><c>ttl · (1 − ε) − 1 ms − margin</c> (the product rounded down to a tick), never negative.</returns>
    public static TimeSpan For(TimeSpan ttl, double rateBound, TimeSpan safetyMargin = default)
    {
        var lease = TimeSpan.FromTicks((long)Math.Floor(ttl.Ticks * (1 - rateBound))) - Rounding - safetyMargin;
        return lease < TimeSpan.Zero ? TimeSpan.Zero : lease;
    }

    /// <summary>The client's deadline for a renewal sent at <paramref name="sentAt"/> (client clock).</summary>
    public static TimeSpan Deadline(TimeSpan sentAt, TimeSpan ttl, double rateBound, TimeSpan safetyMargin = default) =>
        sentAt + For(ttl, rateBound, safetyMargin);
}
