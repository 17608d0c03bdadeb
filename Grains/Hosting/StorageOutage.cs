using System.Net.Sockets;
using Azure;
using Microsoft.Extensions.Logging;

namespace LockService.Hosting;

/// <summary>
/// How a replica activation waits out storage that does not answer. A replica whose write fails stops and a fresh
/// activation reloads from storage; while storage is down, each activation failed after the SDK's brief retries and
/// the next came only with the next call to the grain (clients back off up to a second), so replicas came back 0.6-0.8 s
/// after storage answered again. Now the activation itself asks storage every <see cref="RetryInterval"/> with one quick
/// request and loads as soon as that is answered, while callers' messages wait for it.
/// </summary>
internal static partial class StorageOutage
{
    /// <summary>Between two attempts to load while storage is unreachable.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>After this long the activation fails as before (the next call starts another).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <param name="reachable">
    /// One quick request to the same storage (no retries), tried every <see cref="RetryInterval"/> after a failed load
    /// until it answers: a load goes through the storage SDK's retries and takes half a second to fail.
    /// </param>
    public static async Task<T> RetryAsync<T>(
        Func<CancellationToken, Task<T>> load, Func<CancellationToken, Task> reachable, string replicaKey, ILogger logger, CancellationToken cancellationToken)
    {
        var started = TimeProvider.System.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var loaded = await load(cancellationToken);
                if (attempt > 1)
                {
                    LogStorageBack(logger, replicaKey, attempt, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
                }

                return loaded;
            }
            catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested
                && TimeProvider.System.GetElapsedTime(started) + RetryInterval < Patience)
            {
                if (attempt == 1)
                {
                    LogWaiting(logger, replicaKey, e.GetType().Name, e.Message);
                }
            }

            while (TimeProvider.System.GetElapsedTime(started) + RetryInterval < Patience)
            {
                await Task.Delay(RetryInterval, cancellationToken);
                try
                {
                    await reachable(cancellationToken);
                    break;
                }
                catch (Exception e) when (IsUnreachable(e) && !cancellationToken.IsCancellationRequested)
                {
                }
            }
        }
    }

    /// <summary>No answer, or the service's own failure: worth waiting for. A bad answer (format, fencing, a 4xx) is not.</summary>
    internal static bool IsUnreachable(Exception e) => e switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsUnreachable),
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        TaskCanceledException => true, // the SDK's network timeout; the activation's own cancellation is checked apart
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Replica {ReplicaKey} cannot reach storage to load ({Error}: {Detail}); asking again every 100 ms")]
    private static partial void LogWaiting(ILogger logger, string replicaKey, string error, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replica {ReplicaKey} reached storage again after {Attempts} attempts, {ElapsedMs} ms")]
    private static partial void LogStorageBack(ILogger logger, string replicaKey, int attempts, double elapsedMs);
}
