using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Client;

namespace LockService.Chaos.Harness;

/// <summary>
/// The resource the locks protect: one integer register per lock name that accepts a read or a write only with a
/// fencing token not lower than the highest it has accepted (and raises the highest to it), like
/// <see cref="FencingGuard"/>. It records every operation, accepted or not, in the order it decided them.
/// </summary>
internal sealed class FencedRegister
{
    private readonly object _gate = new();
    private readonly Dictionary<string, (FencingToken Highest, long Value)> _cells = [];
    private readonly List<RegisterOp> _ops = [];

    public IReadOnlyList<RegisterOp> Ops
    {
        get
        {
            lock (_gate)
            {
                return [.. _ops];
            }
        }
    }

    /// <summary>Applies one operation; returns the value after it, or null when the token was refused as stale.</summary>
    public long? Apply(int client, string lockName, FencingToken token, RegisterOpKind kind, long? expected, long? value)
    {
        lock (_gate)
        {
            var cell = _cells.GetValueOrDefault(lockName);
            var accepted = token >= cell.Highest;
            var after = accepted && kind == RegisterOpKind.Write ? value ?? cell.Value : cell.Value;
            _ops.Add(new RegisterOp(_ops.Count, Stopwatch.GetTimestamp(), client, lockName, token, kind, accepted, cell.Value, expected, after));
            if (!accepted)
            {
                return null;
            }

            _cells[lockName] = (token, after);
            return after;
        }
    }
}
