using System.Diagnostics;
using LockService.Client;

namespace LockService.Chaos.History;

/// <summary>
/// Checks a recorded chaos history against the service's promises. Safety: the fenced register never accepted a
/// token lower than one it had accepted and lost no update; tokens of a lock increase in real-time grant order and
/// are never handed out twice; the service never counted two holders of a lock at once (an acknowledged grant
/// undone). Liveness: every client acquired again after the last
/// fault healed (an undone release, or a wedged client, shows up here). Pure: the same history, the same verdict.
/// </summary>
public static class HistoryChecker
{
    /// <summary>Every violation in <paramref name="history"/>, at most <paramref name="maxPerKind"/> of each kind spelled out.</summary>
    public static IReadOnlyList<Violation> Check(ChaosHistory history, int maxPerKind = 20)
    {
        var found = new List<Violation>();
        found.AddRange(CheckRegister(history.Register));
        foreach (var grants in history.Grants.GroupBy(g => g.Lock))
        {
            found.AddRange(CheckTokenOrder(grants.Key, [.. grants]));
            found.AddRange(CheckSingleHolder(grants.Key, [.. grants], history));
        }

        found.AddRange(CheckProgress(history));
        return [.. found.GroupBy(v => v.Kind).SelectMany(g => g.Take(maxPerKind))];
    }

    /// <summary>Fencing and lost updates, per lock, in the register's own order.</summary>
    internal static IEnumerable<Violation> CheckRegister(IReadOnlyList<RegisterOp> register)
    {
        foreach (var ops in register.GroupBy(o => o.Lock))
        {
            var highest = FencingToken.None;
            var value = 0L;
            foreach (var op in ops.OrderBy(o => o.Seq))
            {
                if (op.ValueBefore != value)
                {
                    yield return new Violation(Violation.LostUpdate, $"{op.Lock}: op {op.Seq} found value {op.ValueBefore}, but the last accepted write left {value}");
                }

                if (!op.Accepted)
                {
                    continue;
                }

                if (op.Token < highest)
                {
                    yield return new Violation(Violation.StaleTokenAccepted, $"{op.Lock}: op {op.Seq} ({op.Kind} by client {op.Client}) accepted token {op.Token} after {highest}");
                }

                if (op.Kind == RegisterOpKind.Write && op.Expected != op.ValueBefore)
                {
                    yield return new Violation(
                        Violation.LostUpdate,
                        $"{op.Lock}: op {op.Seq} (client {op.Client}, token {op.Token}) wrote over {op.ValueBefore} having read {op.Expected}: another holder's update in between was lost");
                }

                highest = op.Token > highest ? op.Token : highest;
                value = op.ValueAfter;
            }
        }
    }

    /// <summary>A grant acknowledged before another was asked for has the lower token; no token is handed out twice.</summary>
    internal static IEnumerable<Violation> CheckTokenOrder(string lockName, IReadOnlyList<Grant> grants)
    {
        foreach (var same in grants.GroupBy(g => g.Token).Where(g => g.Count() > 1))
        {
            yield return new Violation(Violation.DuplicateToken, $"{lockName}: token {same.Key} granted {same.Count()} times (clients {string.Join(", ", same.Select(g => g.Client))})");
        }

        var byInvoke = grants.OrderBy(g => g.InvokedTs).ToArray();
        var byAck = grants.OrderBy(g => g.AcquiredTs).ToArray();
        var highest = FencingToken.None;
        Grant? highestGrant = null;
        var acked = 0;
        foreach (var grant in byInvoke)
        {
            for (; acked < byAck.Length && byAck[acked].AcquiredTs < grant.InvokedTs; acked++)
            {
                if (byAck[acked].Token > highest)
                {
                    highest = byAck[acked].Token;
                    highestGrant = byAck[acked];
                }
            }

            if (highestGrant is not null && grant.Token <= highest)
            {
                yield return new Violation(
                    Violation.TokenOrder,
                    $"{lockName}: client {grant.Client} was granted {grant.Token} for a request sent after client {highestGrant.Client}'s grant {highest} was acknowledged");
            }
        }
    }

    /// <summary>
    /// No two holders at once in the service's own state: a grant acknowledged while an earlier holder had not yet
    /// started to release, when the service then acknowledged that earlier holder's release (so it still counted it
    /// as the holder, after granting the lock again). This is how an undone grant shows. It rests on the service's
    /// answers, not on when a client's lease timer ran: a client starved of CPU past its lease is refused its release
    /// and is no violation (the register's fence covers it).
    /// </summary>
    internal static IEnumerable<Violation> CheckSingleHolder(string lockName, IReadOnlyList<Grant> grants, ChaosHistory history)
    {
        Grant? holder = null;
        foreach (var grant in grants.OrderBy(g => g.AcquiredTs))
        {
            if (holder is not null && grant.AcquiredTs < holder.HoldEndTs)
            {
                yield return new Violation(
                    Violation.TwoHolders,
                    $"{lockName}: client {grant.Client} acquired {grant.Token} while client {holder.Client} held {holder.Token}, whose release the service " +
                    $"acknowledged later ({Ms(holder.HoldEndTs!.Value - grant.AcquiredTs):0} ms after the second grant, it had not started releasing)");
            }

            if (grant is { Released: true, HoldEndTs: { } end } && (holder is null || end > holder.HoldEndTs))
            {
                holder = grant;
            }
        }
    }

    /// <summary>Every client acquired after the last fault healed.</summary>
    internal static IEnumerable<Violation> CheckProgress(ChaosHistory history)
    {
        var lastHeal = history.Faults.Count == 0 ? history.StartTs : history.Faults.Max(f => f.HealTs);
        for (var client = 0; client < history.Clients; client++)
        {
            var last = history.Grants.Where(g => g.Client == client).Select(g => g.AcquiredTs).DefaultIfEmpty(long.MinValue).Max();
            if (last <= lastHeal)
            {
                yield return new Violation(
                    Violation.NoProgress,
                    last == long.MinValue
                        ? $"client {client} never acquired a lock"
                        : $"client {client} acquired nothing in the {Ms(history.EndTs - lastHeal) / 1000:0.0} s after the last fault healed");
            }
        }
    }

    internal static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
