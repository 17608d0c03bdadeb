using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using LockService.Client;

namespace LockService.Chaos.Client;

/// <summary>
/// The client side of the line protocol with the harness: messages out on stdout (one JSON object a line), register
/// answers and "stop" in on stdin. The harness going away (stdin closed) ends the client process.
/// </summary>
internal sealed class RegisterChannel
{
    private readonly object _out = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<long?>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private long _nextId;

    /// <summary>Fires when the harness says "stop".</summary>
    public CancellationToken Stopping => _stop.Token;

    public void Start()
    {
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "harness-stdin" };
        reader.Start();
    }

    public void Send(ClientMessage message)
    {
        var line = JsonSerializer.Serialize(message, ClientMessage.Json);
        lock (_out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }

    /// <summary>A fenced read: the register's value, or null when the register refused the token as stale.</summary>
    public Task<long?> ReadAsync(string lockName, FencingToken token) => CallAsync("read", lockName, token, null, null);

    /// <summary>A fenced write of <paramref name="value"/> over <paramref name="expected"/>: null when refused as stale.</summary>
    public Task<long?> WriteAsync(string lockName, FencingToken token, long expected, long value) => CallAsync("write", lockName, token, expected, value);

    private Task<long?> CallAsync(string op, string lockName, FencingToken token, long? expected, long? value)
    {
        var id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<long?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        Send(new ClientMessage { Kind = ClientMessage.Register, Id = id, Op = op, Lock = lockName, Token = token.ToString(), Expected = expected, Value = value });
        return answer.Task;
    }

    private void ReadLoop()
    {
        while (Console.In.ReadLine() is { } line)
        {
            if (line == "stop")
            {
                _stop.Cancel();
                continue;
            }

            var parts = line.Split(' ');
            if (parts.Length >= 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var id) && _pending.TryRemove(id, out var answer))
            {
                answer.TrySetResult(parts[1] == "ok" ? long.Parse(parts[2], CultureInfo.InvariantCulture) : null);
            }
        }

        // The harness is gone: nobody records this client's history any more.
        Environment.Exit(0);
    }
}
