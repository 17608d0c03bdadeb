namespace LockService.Client.Transport;

/// <summary>
/// Jittered exponential backoff ("full jitter"): attempt n waits a uniformly random time in [base, min(cap, base·2ⁿ)],
/// so clients that failed together do not retry together.
/// </summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan cap, Random random)
{
    public static readonly TimeSpan DefaultInitial = TimeSpan.FromMilliseconds(25);
    public static readonly TimeSpan DefaultCap = TimeSpan.FromSeconds(1);

    public TimeSpan Initial { get; } = initial;

    public TimeSpan Cap { get; } = cap;

    public TimeSpan Delay(int attempt)
    {
        var exponent = Math.Min(attempt, 20);
        var upper = Math.Min(Cap.Ticks, Initial.Ticks * (1L << exponent));
        double fraction;
        lock (random)
        {
            fraction = random.NextDouble();
        }

        return TimeSpan.FromTicks(Initial.Ticks + (long)((upper - Initial.Ticks) * fraction));
    }
}
