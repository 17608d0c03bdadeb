namespace LockService.Leases.Tests.Simulation;

/// <summary>
/// The SDK's <see cref="TimeProvider"/> in the simulation: timestamps in microseconds of the process's own drifting
/// clock, timers as simulation steps of the process (so a paused process's timers fire when it resumes).
/// </summary>
internal sealed class SimTimeProvider(SimProcess process) : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>No timer is armed further out than this (a century), so local times cannot overflow.</summary>
    private const long MaxDueMicros = 100L * 365 * 24 * 3600 * 1_000_000;

    public override long TimestampFrequency => 1_000_000;

    public override long GetTimestamp() => process.Clock.NowMicros;

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks(process.Clock.NowMicros * 10);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new SimTimer(process, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class SimTimer(SimProcess process, TimerCallback callback, object? state) : ITimer
    {
        private int generation;
        private bool disposed;
        private TimeSpan period = Timeout.InfiniteTimeSpan;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (disposed)
            {
                return false;
            }

            generation++;
            this.period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                Arm(dueTime);
            }

            return true;
        }

        public void Dispose()
        {
            disposed = true;
            generation++;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Arm(TimeSpan due)
        {
            var armed = generation;
            var micros = Math.Min(MaxDueMicros, (long)Math.Ceiling(Math.Max(0, due.Ticks) / 10.0));
            process.AfterLocal(micros, () =>
            {
                if (armed != generation || disposed)
                {
                    return;
                }

                if (period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero)
                {
                    Arm(period);
                }

                callback(state);
            });
        }
    }
}
