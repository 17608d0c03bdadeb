using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LockService.Chaos.History;

/// <summary>Percentiles (nearest rank) of one kind of gap, in milliseconds.</summary>
public sealed record GapStats(string Kind, string Measure, int Count, double P50Ms, double P99Ms, double MaxMs)
{
    public static GapStats Of(string kind, string measure, IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return new GapStats(kind, measure, sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.99), sorted.Length == 0 ? double.NaN : sorted[^1]);
    }

    private static double Rank(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

/// <summary>
/// What the clients saw of each kind of fault. Reported, never asserted: on a shared machine the figures are noisy.
/// <list type="bullet">
/// <item><c>fault→acquire</c>: per fault and lock, from the fault to the first grant of that lock asked for at or
/// after the fault.</item>
/// <item><c>heal→acquire</c>: per fault, the longest any client waited from the fault's heal to its next grant.</item>
/// <item><c>heal→service</c>: per fault, from the heal to the first grant by any client (the service answers again;
/// issue 10 asks within 1 s of Azurite answering).</item>
/// <item><c>rejoin stall</c>: after a restarted silo answered again (replicas move back to it), the longest time
/// between two grants of a lock over the next 15 s.</item>
/// <item><c>longest client wait</c>: the longest time any one client went without a grant (its own pauses excluded).</item>
/// </list>
/// </summary>
public sealed record AvailabilityReport(IReadOnlyList<GapStats> Gaps, double LongestClientWaitMs, int LongestClientWaitClient, double LongestClientWaitAtS)
{
    public const string FaultToAcquire = "fault→acquire";
    public const string HealToAcquire = "heal→acquire";
    public const string HealToService = "heal→service";
    public const string RejoinStall = "rejoin stall";

    private static readonly long RejoinWindow = 15 * Stopwatch.Frequency;

    public static AvailabilityReport Compute(ChaosHistory history)
    {
        var gaps = new List<GapStats>();
        var locks = history.Grants.GroupBy(g => g.Lock).ToDictionary(g => g.Key, g => g.OrderBy(x => x.AcquiredTs).ToArray());
        foreach (var kind in history.Faults.GroupBy(f => f.Kind).OrderBy(g => g.Key))
        {
            var toAcquire = kind.SelectMany(f => locks.Values.Select(grants => FirstAfter(grants, f.StartTs, history.EndTs) - f.StartTs));
            gaps.Add(GapStats.Of(kind.Key, FaultToAcquire, toAcquire.Select(Ms)));
            var afterHeal = kind.Select(f => Enumerable.Range(0, history.Clients)
                .Select(c => history.Grants.Where(g => g.Client == c && g.AcquiredTs >= f.HealTs).Select(g => g.AcquiredTs).DefaultIfEmpty(history.EndTs).Min() - f.HealTs)
                .DefaultIfEmpty(0)
                .Max());
            gaps.Add(GapStats.Of(kind.Key, HealToAcquire, afterHeal.Select(Ms)));
            var service = kind.Select(f => history.Grants.Where(g => g.AcquiredTs >= f.HealTs).Select(g => g.AcquiredTs).DefaultIfEmpty(history.EndTs).Min() - f.HealTs);
            gaps.Add(GapStats.Of(kind.Key, HealToService, service.Select(Ms)));
        }

        if (history.Rejoins.Count > 0)
        {
            gaps.Add(GapStats.Of("silo rejoin", RejoinStall, history.Rejoins.Select(r => Ms(RejoinStallTicks(r, history, locks.Values)))));
        }

        var (wait, client, at) = LongestClientWait(history);
        return new AvailabilityReport(gaps, Ms(wait), client, Ms(at - history.StartTs) / 1000);
    }

    public string Format()
    {
        var text = new StringBuilder();
        text.AppendLine("| fault | measure | n | p50 ms | p99 ms | max ms |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        foreach (var g in Gaps)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {g.Kind} | {g.Measure} | {g.Count} | {g.P50Ms:0} | {g.P99Ms:0} | {g.MaxMs:0} |");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"longest time one client could not acquire: {LongestClientWaitMs:0} ms (client {LongestClientWaitClient}, ending {LongestClientWaitAtS:0.0} s into the run)");
        return text.ToString();
    }

    /// <summary>The first grant of a lock asked for at or after <paramref name="from"/>; the end of the history if none.</summary>
    private static long FirstAfter(Grant[] grants, long from, long end)
    {
        var first = end;
        foreach (var g in grants)
        {
            if (g.InvokedTs >= from && g.AcquiredTs < first)
            {
                first = g.AcquiredTs;
            }
        }

        return first;
    }

    private static long RejoinStallTicks(long rejoin, ChaosHistory history, IEnumerable<Grant[]> locks)
    {
        var until = Math.Min(history.EndTs, rejoin + RejoinWindow);
        foreach (var f in history.Faults)
        {
            if (f.StartTs > rejoin && f.StartTs < until)
            {
                until = f.StartTs;
            }
        }

        var worst = 0L;
        foreach (var grants in locks)
        {
            var previous = rejoin;
            foreach (var g in grants.Where(g => g.AcquiredTs > rejoin && g.AcquiredTs <= until))
            {
                worst = Math.Max(worst, g.AcquiredTs - previous);
                previous = g.AcquiredTs;
            }

            worst = Math.Max(worst, until - previous);
        }

        return worst;
    }

    private static (long Wait, int Client, long At) LongestClientWait(ChaosHistory history)
    {
        var best = (Wait: 0L, Client: -1, At: history.StartTs);
        for (var c = 0; c < history.Clients; c++)
        {
            var client = c;
            var pauses = history.Faults.Where(f => f.PausedClient == client).ToArray();
            var times = history.Grants.Where(g => g.Client == client).Select(g => g.AcquiredTs).Order().Append(history.EndTs).ToArray();
            for (var i = 1; i < times.Length; i++)
            {
                var (from, to) = (times[i - 1], times[i]);
                if (to - from > best.Wait && !pauses.Any(p => p.StartTs < to && p.HealTs > from))
                {
                    best = (to - from, client, to);
                }
            }
        }

        return best;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
