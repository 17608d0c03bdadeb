namespace LockService.Replica;

/// <summary>
/// A token bucket on the replica's own clock (the <c>now</c> of its inputs; no wall clock): <c>rate</c> tokens a
/// second, at most <c>burst</c> saved up. Starts full.
/// </summary>
internal sealed class TokenBucket(double burst, TimeSpan now)
{
    private double _tokens = burst;
    private TimeSpan _refilledAt = now;

    /// <summary>Takes one token if there is one.</summary>
    public bool TryTake(TimeSpan now, double ratePerSecond, double burst)
    {
        Refill(now, ratePerSecond, burst);
        if (_tokens < 1)
        {
            return false;
        }

        _tokens -= 1;
        return true;
    }

    /// <summary>Full again by <paramref name="now"/>: nothing is lost by forgetting this bucket.</summary>
    public bool IsFull(TimeSpan now, double ratePerSecond, double burst)
    {
        Refill(now, ratePerSecond, burst);
        return _tokens >= burst;
    }

    private void Refill(TimeSpan now, double ratePerSecond, double burst)
    {
        if (now > _refilledAt)
        {
            _tokens = Math.Min(burst, _tokens + (now - _refilledAt).TotalSeconds * ratePerSecond);
            _refilledAt = now;
        }
    }
}
