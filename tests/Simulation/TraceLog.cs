using System.Globalization;
using System.Text;

namespace LockService.Simulation;

/// <summary>The last events of a run, kept cheaply (references, no strings) and formatted only when a run fails.</summary>
public sealed class TraceLog(int capacity)
{
    private readonly Entry[] entries = new Entry[Math.Max(1, capacity)];
    private long written;

    public void Add(long timeMicros, int replica, string what, object? detail = null)
    {
        entries[written % entries.Length] = new Entry(timeMicros, replica, what, detail);
        written++;
    }

    public string Format()
    {
        var text = new StringBuilder();
        var first = Math.Max(0, written - entries.Length);
        for (var i = first; i < written; i++)
        {
            var entry = entries[i % entries.Length];
            text.Append(CultureInfo.InvariantCulture, $"  {entry.TimeMicros / 1000.0,10:F3}ms  r{entry.Replica}  {entry.What}");
            if (entry.Detail is not null)
            {
                text.Append("  ").Append(entry.Detail);
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private readonly record struct Entry(long TimeMicros, int Replica, string What, object? Detail);
}

/// <summary>A broken invariant (or a crash of the code under test) in a simulation run, with what is needed to replay it.</summary>
public sealed class SimulationFailedException(int seed, string reason, string trace, string replayCommand, Exception? inner = null)
    : Exception($"Simulation failed for seed {seed}: {reason}\nReplay: {replayCommand}\nLast events:\n{trace}", inner)
{
    public int Seed { get; } = seed;

    public string Reason { get; } = reason;
}
