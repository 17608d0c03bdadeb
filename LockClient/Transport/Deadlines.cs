namespace LockService.Client.Transport;

/// <summary>
/// Deadlines as monotonic timestamps of a <see cref="TimeProvider"/> (<see cref="TimeProvider.GetTimestamp"/>),
/// never wall-clock times; <see cref="Never"/> stands for "no deadline".
/// </summary>
internal static class Deadlines
{
    public const long Never = long.MaxValue;

    /// <summary>The timestamp <paramref name="duration"/> after <paramref name="timestamp"/>, saturating at <see cref="Never"/>.</summary>
    public static long After(this TimeProvider time, long timestamp, TimeSpan duration)
    {
        if (duration == Timeout.InfiniteTimeSpan || timestamp == Never)
        {
            return Never;
        }

        var ticks = duration.TotalSeconds * time.TimestampFrequency;
        return ticks >= Never - timestamp ? Never : timestamp + (long)ticks;
    }

    /// <summary>The timestamp <paramref name="duration"/> from now.</summary>
    public static long FromNow(this TimeProvider time, TimeSpan duration) => time.After(time.GetTimestamp(), duration);

    /// <summary>Time left until <paramref name="deadline"/> (negative when passed; infinite for <see cref="Never"/>).</summary>
    public static TimeSpan Until(this TimeProvider time, long deadline) =>
        deadline == Never
            ? Timeout.InfiniteTimeSpan
            : TimeSpan.FromSeconds((double)(deadline - time.GetTimestamp()) / time.TimestampFrequency);

    public static bool HasPassed(this TimeProvider time, long deadline) =>
        deadline != Never && time.GetTimestamp() >= deadline;
}
