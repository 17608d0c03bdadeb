using LockService.Client;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// A shared counter that callers change only while they hold a lock. The change is a read, a yield, then a write,
/// so two callers inside at once lose an update; the counter also records every overlap and the fencing token of
/// every entry into the critical section, in entry order (which, for an exclusive lock, is the grant order).
/// </summary>
internal sealed class GuardedCounter
{
    private readonly object _gate = new();
    private readonly List<FencingToken> _entries = [];
    private readonly List<long> _entryTimes = [];
    private int _inside;
    private int _overlaps;
    private int _value;

    public int Value => Volatile.Read(ref _value);

    public int Overlaps => Volatile.Read(ref _overlaps);

    public IReadOnlyList<FencingToken> Entries
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>The longest time between two consecutive entries into the critical section (the longest stall).</summary>
    public TimeSpan LongestGap()
    {
        lock (_gate)
        {
            var longest = TimeSpan.Zero;
            for (var i = 1; i < _entryTimes.Count; i++)
            {
                var gap = System.Diagnostics.Stopwatch.GetElapsedTime(_entryTimes[i - 1], _entryTimes[i]);
                longest = gap > longest ? gap : longest;
            }

            return longest;
        }
    }

    /// <summary>The critical section: call it only while holding the lock whose grant is <paramref name="token"/>.</summary>
    public async Task IncrementAsync(FencingToken token)
    {
        if (Interlocked.Increment(ref _inside) != 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        lock (_gate)
        {
            _entries.Add(token);
            _entryTimes.Add(System.Diagnostics.Stopwatch.GetTimestamp());
        }

        var read = Volatile.Read(ref _value);
        await Task.Yield();
        Volatile.Write(ref _value, read + 1);
        Interlocked.Decrement(ref _inside);
    }

    /// <summary>No overlap, no lost update, and tokens strictly increasing in grant order.</summary>
    public void AssertExclusive(int expectedIncrements)
    {
        Assert.Equal(0, Overlaps);
        Assert.Equal(expectedIncrements, Value);
        var entries = Entries;
        Assert.Equal(expectedIncrements, entries.Count);
        for (var i = 1; i < entries.Count; i++)
        {
            Assert.True(entries[i] > entries[i - 1], $"grant {i} has token {entries[i]}, not above grant {i - 1}'s {entries[i - 1]}");
        }
    }
}
