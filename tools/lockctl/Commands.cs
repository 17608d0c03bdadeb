using System.Diagnostics;
using System.Text.Json;
using LockService.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LockService.Cli;

internal static class Commands
{
    public const int Lost = ExitCodes.Lost;
    public const int NotAcquired = ExitCodes.NotAcquired;
    public const int NotCurrent = ExitCodes.NotCurrent;

    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> AcquireAsync(
        Connection connection, string name, TimeSpan timeout, TimeSpan? hold, bool shared, string[] command, bool json, CancellationToken ct)
    {
        using var host = await connection.ConnectAsync(ct);
        var locks = host.Services.GetRequiredService<ILockClient>();
        try
        {
            var mode = shared ? LockMode.Shared : LockMode.Exclusive;
            await using var handle = await locks.TryAcquireAsync(name, timeout, mode, ct);
            if (handle is null)
            {
                await Console.Error.WriteLineAsync($"lockctl: '{name}' was not free within {timeout.TotalSeconds:0.###} s.");
                return NotAcquired;
            }

            Console.WriteLine(json ? Event("acquired", name, handle.Token) : $"acquired {name} token {handle.Token}");
            var code = command.Length > 0
                ? await RunUnderLockAsync(handle, command, ct)
                : await HoldAsync(handle, hold, ct);
            if (code != Lost && !await ReleasedAsync(handle))
            {
                code = Lost;
            }

            var outcome = code == Lost ? "lost" : "released";
            Console.WriteLine(json ? Event(outcome, name, handle.Token) : $"{outcome} {name} token {handle.Token}");
            return code;
        }
        catch (LockServiceException e)
        {
            await Console.Error.WriteLineAsync($"lockctl: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        finally
        {
            await locks.DisposeAsync();
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Releases before saying so. False when the service says the lock was no longer this holder's: taken by an
    /// operator's force-release (which the session outlives, so nothing fired LostToken) or lost unnoticed.
    /// </summary>
    private static async Task<bool> ReleasedAsync(LockHandle handle)
    {
        try
        {
            await handle.ReleaseAsync(CancellationToken.None);
            return true;
        }
        catch (Exception e) when (e is LockNotHeldException or StaleFencingTokenException)
        {
            return false;
        }
    }

    /// <summary>Until the hold time passes, Ctrl+C, standard input closing (a parent process letting go), or the lock is lost.</summary>
    private static async Task<int> HoldAsync(LockHandle handle, TimeSpan? hold, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, handle.LostToken);
        var waits = new List<Task> { Task.Delay(hold ?? Timeout.InfiniteTimeSpan, stop.Token) };
        if (hold is null)
        {
            waits.Add(Task.Run(() => Console.In.ReadToEndAsync(stop.Token), CancellationToken.None));
        }

        try
        {
            await Task.WhenAny(waits);
        }
        catch (OperationCanceledException)
        {
        }

        return handle.LostToken.IsCancellationRequested ? Lost : 0;
    }

    /// <summary>
    /// Runs the command with the token in LOCKSERVICE_TOKEN (and the name in LOCKSERVICE_LOCK). Should the lock be
    /// lost, the command is killed: it must not act as the holder once another holder may exist.
    /// </summary>
    private static async Task<int> RunUnderLockAsync(LockHandle handle, string[] command, CancellationToken ct)
    {
        var start = new ProcessStartInfo(command[0]) { UseShellExecute = false };
        foreach (var argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LOCKSERVICE_TOKEN"] = handle.Token.ToString();
        start.Environment["LOCKSERVICE_LOCK"] = handle.Name;
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, handle.LostToken);
        try
        {
            await child.WaitForExitAsync(stop.Token);
            return child.ExitCode;
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(CancellationToken.None);
            return handle.LostToken.IsCancellationRequested ? Lost : 1;
        }
    }

    public static async Task<int> DescribeAsync(Connection connection, string name, bool json, CancellationToken ct)
    {
        using var host = await connection.ConnectAsync(ct);
        var locks = host.Services.GetRequiredService<ILockClient>();
        try
        {
            var info = await locks.DescribeAsync(name, ct) ?? new LockInfo(name, [], []);
            if (json)
            {
                // The same shape as watch's lines: modes and tokens as people write them, TTLs in seconds.
                Console.WriteLine(JsonSerializer.Serialize(
                    new
                    {
                        name = info.Name,
                        held = info.IsHeld,
                        maxCount = info.MaxCount,
                        holders = info.Holders.Select(h => new
                        {
                            mode = h.Mode.ToString(),
                            token = h.Token.ToString(),
                            session = h.SessionId,
                            sessionTtlSeconds = Math.Round(h.SessionRemainingTtl.TotalSeconds, 1),
                        }),
                        waiters = info.Waiters.Select(w => new { position = w.Position + 1, mode = w.Mode.ToString(), session = w.SessionId }),
                    },
                    Indented));
                return 0;
            }

            Console.WriteLine($"{info.Name}: {(info.IsHeld ? "held" : "free")}");
            foreach (var holder in info.Holders)
            {
                Console.WriteLine($"  holder  {holder.Mode,-9} token {holder.Token}  session TTL left {holder.SessionRemainingTtl.TotalSeconds:0.0} s");
            }

            foreach (var waiter in info.Waiters)
            {
                Console.WriteLine($"  waiter  #{waiter.Position + 1} {waiter.Mode}");
            }

            return 0;
        }
        catch (LockServiceException e)
        {
            await Console.Error.WriteLineAsync($"lockctl: {e.GetType().Name}: {e.Message}");
            return 1;
        }
        finally
        {
            await locks.DisposeAsync();
            await host.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>One JSON line per event of an acquire (acquired, released, lost), for scripts.</summary>
    private static string Event(string what, string name, FencingToken token) =>
        JsonSerializer.Serialize(new { @event = what, name, token = token.ToString() });

    public static async Task<int> IsCurrentAsync(Connection connection, string name, string tokenText, bool json, CancellationToken ct)
    {
        if (!FencingToken.TryParse(tokenText, out var token))
        {
            await Console.Error.WriteLineAsync($"lockctl: '{tokenText}' is not a fencing token; expected \"{{term}}.{{index}}\", e.g. \"7.10423\".");
            return 1;
        }

        using var host = await connection.ConnectAsync(ct);
        var locks = host.Services.GetRequiredService<ILockClient>();
        try
        {
            var current = await locks.IsCurrentAsync(name, token, ct);
            Console.WriteLine(json
                ? JsonSerializer.Serialize(new { name, token = token.ToString(), current })
                : current ? $"{token} is the current grant of {name}" : $"{token} is not a current grant of {name}");
            return current ? 0 : NotCurrent;
        }
        finally
        {
            await locks.DisposeAsync();
            await host.StopAsync(CancellationToken.None);
        }
    }

    public static async Task<int> GetJsonAsync(Uri silo, string? apiKey, string path, CancellationToken ct)
    {
        using var http = SiloHttp.Create(silo, apiKey, TimeSpan.FromSeconds(10));
        try
        {
            using var document = JsonDocument.Parse(await http.GetStringAsync(path, ct));
            Console.WriteLine(JsonSerializer.Serialize(document.RootElement, Indented));
            return ExitCodes.Done;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}{path.TrimStart('/')}: {e.Message}");
            return SiloHttp.ExitCodeOf(e);
        }
    }
}
