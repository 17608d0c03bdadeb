using System.Text.Json;
using LockService.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LockService.Cli;

/// <summary>Prints a lock's holder changes (and queue length changes) as they happen, until Ctrl+C.</summary>
internal static class WatchCommand
{
    public static async Task<int> RunAsync(Connection connection, string name, TimeSpan interval, bool json, CancellationToken ct)
    {
        using var host = await connection.ConnectAsync(ct);
        var locks = host.Services.GetRequiredService<ILockClient>();
        string? last = null;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                LockInfo info;
                try
                {
                    info = await locks.DescribeAsync(name, ct) ?? new LockInfo(name, [], []);
                }
                catch (LockServiceUnavailableException e)
                {
                    await Console.Error.WriteLineAsync($"lockctl: {e.Message} (retrying)");
                    await Task.Delay(interval, ct);
                    continue;
                }

                var holders = string.Join(", ", info.Holders.Select(h => $"{h.Mode} token {h.Token} session {h.SessionId:N}"));
                var current = $"{holders}|{info.Waiters.Count}";
                if (current != last)
                {
                    last = current;
                    var at = DateTimeOffset.Now;
                    Console.WriteLine(json
                        ? JsonSerializer.Serialize(new
                        {
                            time = at,
                            name,
                            held = info.IsHeld,
                            holders = info.Holders.Select(h => new { mode = h.Mode.ToString(), token = h.Token.ToString(), session = h.SessionId }),
                            waiters = info.Waiters.Count,
                        })
                        : $"{at:HH:mm:ss.fff} {name}: {(info.IsHeld ? "held by " + holders : "free")}, {info.Waiters.Count} waiting");
                }

                await Task.Delay(interval, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C: the normal end of a watch.
        }
        finally
        {
            await locks.DisposeAsync();
            await host.StopAsync(CancellationToken.None);
        }

        return ExitCodes.Done;
    }
}
