using System.Diagnostics;
using LockService.Testing;

namespace LockService.Chaos.Harness;

/// <summary>
/// Restarts every silo that exits, as a process manager would (systemd's <c>Restart=always</c>): after a back-off
/// that doubles from <see cref="FirstBackoff"/> up to <see cref="MaxBackoff"/> while a silo keeps failing, and resets
/// once it has run for <see cref="StableAfter"/>. A silo exits when it is SIGKILLed, and also when, paused past its
/// death declaration, it learns it was declared dead ("I have been told I am dead").
/// </summary>
internal sealed class SiloSupervisor(SiloProcessCluster cluster, Action<SiloProcess, long> onRejoin, Action<string> log) : IAsyncDisposable
{
    public static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(500);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(8);
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private int _restarting;

    private int _restarts;
    private long _lastChangeTs = Stopwatch.GetTimestamp();

    /// <summary>Silo restarts so far.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>True while every silo runs and none is waiting for, or in, a restart.</summary>
    public bool AllReady => Volatile.Read(ref _restarting) == 0 && cluster.Silos.All(s => s.IsRunning);

    /// <summary>
    /// True once every silo has run for <paramref name="settle"/> since the last exit or return: a silo that joins
    /// hands grain-directory ranges over for a moment after it answers, and a fault in that moment is a second fault.
    /// </summary>
    public bool SettledFor(TimeSpan settle) =>
        AllReady && Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastChangeTs)) >= settle;

    public void Start() => _loop = Task.Run(() => Task.WhenAll(cluster.Silos.Select(SuperviseAsync)));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task SuperviseAsync(SiloProcess silo)
    {
        var backoff = FirstBackoff;
        var startedAt = Stopwatch.GetTimestamp();
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(100, _stop.Token);
                if (silo.IsRunning)
                {
                    continue;
                }

                if (Stopwatch.GetElapsedTime(startedAt) >= StableAfter)
                {
                    backoff = FirstBackoff;
                }

                Interlocked.Exchange(ref _lastChangeTs, Stopwatch.GetTimestamp());
                log($"silo {silo.Index} (pid {silo.Pid}) exited; restarting it in {backoff.TotalSeconds:0.0} s");
                Interlocked.Increment(ref _restarting);
                try
                {
                    await Task.Delay(backoff, _stop.Token);
                    backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
                    startedAt = Stopwatch.GetTimestamp();
                    Interlocked.Increment(ref _restarts);
                    await cluster.StartSiloAsync(silo, _stop.Token);
                }
                finally
                {
                    Interlocked.Decrement(ref _restarting);
                }

                Interlocked.Exchange(ref _lastChangeTs, Stopwatch.GetTimestamp());
                log($"silo {silo.Index} is back (pid {silo.Pid})");
                onRejoin(silo, Stopwatch.GetTimestamp());
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException)
            {
                log($"silo {silo.Index} failed to restart: {e.Message.Split('\n')[0]}");
            }
        }
    }
}
