using System.Diagnostics;
using LockService.Client;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LockService.Chaos.Client;

/// <summary>What one client process does; see <see cref="ChaosClient"/>.</summary>
internal sealed record ChaosClientOptions(int Index, string Storage, string ClusterName, string[] Locks, TimeSpan SessionTtl, TimeSpan AcquireTimeout)
{
    /// <summary>The command line the harness passes after "client".</summary>
    public IEnumerable<string> ToArguments() =>
    [
        "--index", Index.ToString(System.Globalization.CultureInfo.InvariantCulture), "--storage", Storage, "--cluster", ClusterName,
        "--locks", string.Join(',', Locks), "--ttl-ms", ((long)SessionTtl.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "--acquire-timeout-ms", ((long)AcquireTimeout.TotalMilliseconds).ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    public static ChaosClientOptions Parse(IReadOnlyDictionary<string, string> a) => new(
        int.Parse(a["index"], System.Globalization.CultureInfo.InvariantCulture),
        a["storage"],
        a["cluster"],
        a["locks"].Split(','),
        TimeSpan.FromMilliseconds(long.Parse(a["ttl-ms"], System.Globalization.CultureInfo.InvariantCulture)),
        TimeSpan.FromMilliseconds(long.Parse(a["acquire-timeout-ms"], System.Globalization.CultureInfo.InvariantCulture)));
}

/// <summary>
/// A client process, as a user would write one: its own host with an Orleans client (Azure Table clustering) and the
/// SDK (<c>AddLockClient</c>), looping acquire → fenced read → fenced write (read + 1) → release, alternating over the
/// lock names. It reports every step to the harness (<see cref="RegisterChannel"/>); the register itself lives in the
/// harness, so a client frozen past its lease meets the register's fence when it wakes.
/// </summary>
internal static class ChaosClient
{
    public static async Task<int> RunAsync(ChaosClientOptions options)
    {
        var channel = new RegisterChannel();
        channel.Start();
        var host = await ClusterClientHost.StartAsync(options.Storage, options.ClusterName, options.ClusterName, services =>
        {
            // stdout carries the protocol: every log line goes to stderr. LOCKSERVICE_CHAOS_CLIENT_LOG=Debug shows the
            // SDK's failover steps (probes, retries), with timestamps to line them up with the silo logs.
            var sdkLevel = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("LOCKSERVICE_CHAOS_CLIENT_LOG"), out var level) ? level : LogLevel.Warning;
            services.AddLogging(b => b
                .AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss.fff ")
                .AddFilter("LockService", sdkLevel)
                .SetMinimumLevel(LogLevel.Warning));
            services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            services.Configure<Orleans.Configuration.GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            services.AddLockClient(o => o.SessionTtl = options.SessionTtl);
        });
        var locks = host.Services.GetRequiredService<ILockClient>();
        try
        {
            for (var iteration = 0; !channel.Stopping.IsCancellationRequested; iteration++)
            {
                await CycleAsync(locks, channel, options.Locks[(options.Index + iteration) % options.Locks.Length], options.AcquireTimeout);
            }
        }
        finally
        {
            await host.StopAsync(TimeSpan.FromSeconds(5));
            host.Dispose();
        }

        return 0;
    }

    private static async Task CycleAsync(ILockClient locks, RegisterChannel channel, string name, TimeSpan acquireTimeout)
    {
        var invoked = Stopwatch.GetTimestamp();
        LockHandle handle;
        try
        {
            handle = await locks.AcquireAsync(name, acquireTimeout, cancellationToken: channel.Stopping);
        }
        catch (OperationCanceledException) when (channel.Stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e)
        {
            channel.Send(new ClientMessage { Kind = ClientMessage.AcquireFailed, Lock = name, InvokedTs = invoked, At = Stopwatch.GetTimestamp(), Detail = e.GetType().Name });
            await Task.Delay(100, CancellationToken.None);
            return;
        }

        var token = handle.Token;
        channel.Send(new ClientMessage { Kind = ClientMessage.Acquired, Lock = name, Token = token.ToString(), InvokedTs = invoked, At = Stopwatch.GetTimestamp() });
        var ended = 0;
        void End(string why)
        {
            if (Interlocked.Exchange(ref ended, 1) == 0)
            {
                channel.Send(new ClientMessage { Kind = ClientMessage.HoldEnd, Lock = name, Token = token.ToString(), At = Stopwatch.GetTimestamp(), Detail = why });
            }
        }

        using (handle.LostToken.Register(() => End("lost")))
        {
            if (!handle.IsLost && await channel.ReadAsync(name, token) is { } value && !handle.IsLost)
            {
                await channel.WriteAsync(name, token, value, value + 1);
            }

            End("release");
        }

        await ReleaseAsync(handle, channel);
    }

    private static async Task ReleaseAsync(LockHandle handle, RegisterChannel channel)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await handle.ReleaseAsync(CancellationToken.None);
                channel.Send(new ClientMessage { Kind = ClientMessage.Released, Lock = handle.Name, Token = handle.Token.ToString(), At = Stopwatch.GetTimestamp() });
                return;
            }
            catch (Exception e)
            {
                channel.Send(new ClientMessage { Kind = ClientMessage.ReleaseFailed, Lock = handle.Name, Token = handle.Token.ToString(), At = Stopwatch.GetTimestamp(), Detail = e.GetType().Name });
                if (e is LockNotHeldException or StaleFencingTokenException or LockSessionLostException || attempt >= 20 || channel.Stopping.IsCancellationRequested)
                {
                    return;
                }

                await Task.Delay(50, CancellationToken.None);
            }
        }
    }
}
