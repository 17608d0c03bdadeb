using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// A clock for one SDK client that follows real time until paused: while paused, the client's time stands still,
/// so none of its timers fire (no keepalive, no lease deadline), as in a process frozen by a long GC pause or a
/// suspended VM. On resume it continues from where it stopped. A background loop advances a
/// <see cref="FakeTimeProvider"/> by the real time elapsed, every few milliseconds, while not paused.
/// </summary>
internal sealed class PausableClock : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _driver;
    private volatile bool _paused;

    public PausableClock()
    {
        _driver = Task.Run(DriveAsync);
    }

    public FakeTimeProvider Time { get; } = new();

    public void Pause() => _paused = true;

    public void Resume() => _paused = false;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _driver;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task DriveAsync()
    {
        var last = Stopwatch.GetTimestamp();
        while (!_stop.IsCancellationRequested)
        {
            await Task.Delay(5, _stop.Token);
            var now = Stopwatch.GetTimestamp();
            var elapsed = Stopwatch.GetElapsedTime(last, now);
            last = now;
            if (!_paused)
            {
                Time.Advance(elapsed);
            }
        }
    }
}
