using System.Diagnostics;
using System.Text.Json;
using LockService.Chaos.Client;
using LockService.Chaos.History;
using LockService.Client;

namespace LockService.Chaos.Harness;

/// <summary>
/// Collects the clients' reports, the nemesis' faults and the silos' rejoins into a <see cref="ChaosHistory"/>, and
/// appends every line, as received, to history.jsonl for a post-mortem.
/// </summary>
internal sealed class HistoryRecorder : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<(int Client, string Lock, FencingToken Token), Grant> _grants = [];
    private readonly List<Fault> _faults = [];
    private readonly List<long> _rejoins = [];
    private readonly Dictionary<string, int> _failures = [];
    private readonly StreamWriter _log;

    public HistoryRecorder(string path)
    {
        _log = new StreamWriter(path, append: false) { AutoFlush = false };
        StartTs = Stopwatch.GetTimestamp();
    }

    public long StartTs { get; }

    /// <summary>Acquire and release failures by exception type, for the report.</summary>
    public IReadOnlyDictionary<string, int> Failures
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, int>(_failures);
            }
        }
    }

    /// <summary>How many clients have had at least one grant.</summary>
    public int ClientsThatAcquired()
    {
        lock (_gate)
        {
            return _grants.Keys.Select(k => k.Client).Distinct().Count();
        }
    }

    public void OnClientMessage(int client, ClientMessage message)
    {
        lock (_gate)
        {
            _log.WriteLine($"{{\"client\":{client},\"msg\":{JsonSerializer.Serialize(message, ClientMessage.Json)}}}");
            switch (message.Kind)
            {
                case ClientMessage.Acquired:
                    var token = FencingToken.Parse(message.Token!);
                    _grants[(client, message.Lock!, token)] = new Grant(client, message.Lock!, token, message.InvokedTs!.Value, message.At!.Value, null);
                    break;
                case ClientMessage.HoldEnd when _grants.TryGetValue((client, message.Lock!, FencingToken.Parse(message.Token!)), out var grant) && grant.HoldEndTs is null:
                    _grants[(client, grant.Lock, grant.Token)] = grant with { HoldEndTs = message.At };
                    break;
                case ClientMessage.Released when _grants.TryGetValue((client, message.Lock!, FencingToken.Parse(message.Token!)), out var released):
                    _grants[(client, released.Lock, released.Token)] = released with { Released = true };
                    break;
                case ClientMessage.AcquireFailed or ClientMessage.ReleaseFailed:
                    var key = $"{message.Kind}: {message.Detail}";
                    _failures[key] = _failures.GetValueOrDefault(key) + 1;
                    break;
            }
        }
    }

    public void OnFault(Fault fault)
    {
        lock (_gate)
        {
            _faults.Add(fault);
            _log.WriteLine(JsonSerializer.Serialize(new { fault }));
        }
    }

    public void OnRejoin(long at, string silo)
    {
        lock (_gate)
        {
            _rejoins.Add(at);
            _log.WriteLine(JsonSerializer.Serialize(new { rejoin = silo, at }));
        }
    }

    public ChaosHistory Build(int clients, long endTs, IReadOnlyList<RegisterOp> register)
    {
        lock (_gate)
        {
            _log.Flush();
            return new ChaosHistory(clients, StartTs, endTs, [.. _grants.Values.OrderBy(g => g.AcquiredTs)], register, [.. _faults], [.. _rejoins]);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _log.Dispose();
        }
    }
}
