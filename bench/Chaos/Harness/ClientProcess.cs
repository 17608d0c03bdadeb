using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using LockService.Chaos.Client;
using LockService.Chaos.History;
using LockService.Client;
using LockService.Testing;

namespace LockService.Chaos.Harness;

/// <summary>
/// One client process (<c>dotnet LockService.Chaos.dll client ...</c>): reads its reports, answers its register
/// calls on its stdin, and can be frozen (SIGSTOP) and thawed by the nemesis. Its stderr (the SDK's warnings) goes
/// to client-N.log.
/// </summary>
internal sealed class ClientProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly FencedRegister _register;
    private readonly HistoryRecorder _recorder;
    private readonly Task _reader;
    private readonly Task _errors;
    private readonly object _stdin = new();

    private ClientProcess(int index, Process process, FencedRegister register, HistoryRecorder recorder, string logPath)
    {
        Index = index;
        _process = process;
        _register = register;
        _recorder = recorder;
        _reader = Task.Run(ReadLoopAsync);
        _errors = Task.Run(async () =>
        {
            await using var log = new StreamWriter(logPath) { AutoFlush = true };
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                await log.WriteLineAsync(line);
            }
        });
    }

    public int Index { get; }

    public int Pid => _process.Id;

    public static ClientProcess Start(string chaosDll, ChaosClientOptions options, FencedRegister register, HistoryRecorder recorder, string logDirectory)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(chaosDll);
        start.ArgumentList.Add("client");
        foreach (var argument in options.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start a client process");
        return new ClientProcess(options.Index, process, register, recorder, Path.Combine(logDirectory, $"client-{options.Index}.log"));
    }

    public void Pause() => ProcessSignals.Send(_process.Id, ProcessSignals.SIGSTOP);

    public void Resume() => ProcessSignals.Send(_process.Id, ProcessSignals.SIGCONT);

    /// <summary>Asks the client to stop, and kills it if it has not within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        Resume();
        WriteLine("stop");
        using var limit = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await Task.WhenAll(_reader, _errors).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _process.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            ClientMessage? message;
            try
            {
                message = JsonSerializer.Deserialize<ClientMessage>(line, ClientMessage.Json);
            }
            catch (JsonException)
            {
                continue; // not a protocol line
            }

            if (message is null)
            {
                continue;
            }

            if (message.Kind == ClientMessage.Register)
            {
                var kind = message.Op == "write" ? RegisterOpKind.Write : RegisterOpKind.Read;
                var value = _register.Apply(Index, message.Lock!, FencingToken.Parse(message.Token!), kind, message.Expected, message.Value);
                WriteLine(value is { } v ? $"{message.Id} ok {v.ToString(CultureInfo.InvariantCulture)}" : $"{message.Id} stale");
            }
            else
            {
                _recorder.OnClientMessage(Index, message);
            }
        }
    }

    private void WriteLine(string line)
    {
        lock (_stdin)
        {
            try
            {
                _process.StandardInput.WriteLine(line);
                _process.StandardInput.Flush();
            }
            catch (IOException)
            {
                // the client is gone; its history ends here
            }
        }
    }
}
