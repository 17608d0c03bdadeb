using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Client;

namespace LockService.Chaos.Tests;

/// <summary>Writes histories by hand for the checker's tests: times in milliseconds from the start.</summary>
internal sealed class HistoryBuilder(int clients = 2)
{
    private readonly List<Grant> _grants = [];
    private readonly List<RegisterOp> _register = [];
    private readonly List<Fault> _faults = [];
    private readonly Dictionary<string, long> _values = [];

    public static long Ms(double ms) => (long)(ms * Stopwatch.Frequency / 1000);

    public static FencingToken T(long term, long index) => new(term, index);

    /// <summary>A grant asked for at <paramref name="invoked"/>, answered at <paramref name="acquired"/>, held until <paramref name="end"/>
    /// (and then released with the service's acknowledgement when <paramref name="released"/>).</summary>
    public HistoryBuilder Grant(int client, string name, FencingToken token, double invoked, double acquired, double? end, bool released = false)
    {
        _grants.Add(new Grant(client, name, token, Ms(invoked), Ms(acquired), end is { } e ? Ms(e) : null, released));
        return this;
    }

    /// <summary>A correct cycle: acquire, fenced read, fenced write of read + 1 (both accepted), acknowledged release.</summary>
    public HistoryBuilder Cycle(int client, string name, FencingToken token, double from, double to)
    {
        Grant(client, name, token, from, from + 1, to, released: true);
        var value = _values.GetValueOrDefault(name);
        Op(client, name, token, RegisterOpKind.Read, accepted: true, before: value, expected: null, after: value);
        Op(client, name, token, RegisterOpKind.Write, accepted: true, before: value, expected: value, after: value + 1);
        return this;
    }

    public HistoryBuilder Op(int client, string name, FencingToken token, RegisterOpKind kind, bool accepted, long before, long? expected, long after)
    {
        _register.Add(new RegisterOp(_register.Count, 0, client, name, token, kind, accepted, before, expected, after));
        if (accepted)
        {
            _values[name] = after;
        }

        return this;
    }

    public HistoryBuilder Fault(string kind, double start, double heal, int? pausedClient = null)
    {
        _faults.Add(new Fault(kind, "test", Ms(start), Ms(heal), pausedClient));
        return this;
    }

    public ChaosHistory Build(double end) => new(clients, 0, Ms(end), _grants, _register, _faults, []);
}
