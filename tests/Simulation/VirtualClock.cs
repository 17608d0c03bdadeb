namespace LockService.Simulation;

/// <summary>
/// A replica's monotonic clock: it runs at <see cref="Rate"/> times the simulation's global time, so replicas drift
/// apart within the bound the simulation sets. Only durations on one clock are meaningful, as on real machines.
/// </summary>
public sealed class VirtualClock
{
    private readonly Func<long> globalMicros;
    private long originGlobal;
    private long originLocal;
    private double rate;

    public VirtualClock(Func<long> globalMicros, double rate, long startLocalMicros)
    {
        this.globalMicros = globalMicros;
        this.rate = rate;
        originGlobal = globalMicros();
        originLocal = startLocalMicros;
    }

    public long NowMicros => LocalAt(globalMicros());

    /// <summary>Local seconds per global second; changing it keeps the clock continuous.</summary>
    public double Rate
    {
        get => rate;
        set
        {
            var now = globalMicros();
            originLocal = LocalAt(now);
            originGlobal = now;
            rate = value;
        }
    }

    public long LocalAt(long global) => originLocal + (long)((global - originGlobal) * rate);

    /// <summary>The first global time at which this clock reads at least <paramref name="local"/>.</summary>
    public long GlobalAt(long local) => originGlobal + (long)Math.Ceiling((local - originLocal) / rate);
}
