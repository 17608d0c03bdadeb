using Microsoft.Extensions.Logging;

namespace LockService.Placement;

/// <summary>
/// This silo's recent copy of the drained silos, for placement decisions that cannot wait for a grain call (the
/// placement director, the replicas' periodic checks). Refreshed in the background at most once a second; a drain
/// takes effect within about a second plus a replica's placement checks.
/// </summary>
public sealed class DrainView(IGrainFactory grains, ILogger<DrainView> logger)
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);
    private readonly TimeProvider _time = TimeProvider.System;
    private long _refreshedAt; // 0: boot time of the monotonic clock, long ago
    private int _refreshing;

    public DrainedSilos Current { get; private set; } = DrainedSilos.None;

    /// <summary>The latest known list; starts a refresh when it is older than a second.</summary>
    public DrainedSilos Get()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _refreshedAt)) > MaxAge && Interlocked.Exchange(ref _refreshing, 1) == 0)
        {
            _ = RefreshAsync();
        }

        return Current;
    }

    /// <summary>Takes a list the caller just read or changed (the admin API), so this silo acts on it at once.</summary>
    public void Set(DrainedSilos drained)
    {
        Current = drained;
        Interlocked.Exchange(ref _refreshedAt, _time.GetTimestamp());
    }

    private async Task RefreshAsync()
    {
        try
        {
            Set(await grains.GetGrain<IDrainedSilosGrain>(IDrainedSilosGrain.Key).Get());
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Could not read the drained silos; keeping the last known list");
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }
}
