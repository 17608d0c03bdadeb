using LockService.Client.Diagnostics;
using LockService.Protocol;
using Microsoft.Extensions.Logging;

namespace LockService.Client.Transport;

/// <summary>
/// Repeats one protocol call while the answer is transient (unavailable, overloaded, not the leader, topology not
/// readable), with jittered exponential backoff. The caller builds the request once, so every retry carries the
/// same request id and takes effect once. A run of transient answers ends the call with
/// <see cref="LockServiceUnavailableException"/> (or <see cref="LockServiceOverloadedException"/>) when it has
/// lasted <see cref="LockClientOptions.RequestTimeout"/> and the caller's own deadline has passed too.
/// </summary>
internal sealed class RetryingCaller(LockClientOptions options, TimeProvider time, Backoff backoff, LockClientMetrics metrics, ILogger logger)
{
    /// <summary>Calls until the reply is not transient.</summary>
    /// <param name="operation">For logs, metrics and messages, e.g. "acquire".</param>
    /// <param name="group">The lock group, for logs.</param>
    /// <param name="call">One attempt.</param>
    /// <param name="keepTryingUntil">A deadline (timestamp) before which transient answers are retried even when
    /// <see cref="LockClientOptions.RequestTimeout"/> has passed; <see cref="Deadlines.Never"/> retries until cancelled.</param>
    /// <param name="cancellationToken">Ends the call with <see cref="OperationCanceledException"/>.</param>
    public async Task<TReply> CallAsync<TReply>(
        string operation, int group, Func<CancellationToken, Task<TReply>> call, long keepTryingUntil, CancellationToken cancellationToken)
        where TReply : class
    {
        var runStart = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var reply = await call(cancellationToken).ConfigureAwait(false);
            var (status, message) = ReplyInfo.Of(reply);
            if (!ReplyInfo.IsTransient(status))
            {
                return reply;
            }

            await BackOffOrGiveUpAsync(operation, group, status, message, attempt, runStart, keepTryingUntil, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a lock's group, retrying while the topology cannot be read.</summary>
    public async Task<int> GetGroupAsync(ILockServiceTransport transport, string name, long keepTryingUntil, CancellationToken cancellationToken)
    {
        var runStart = time.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await transport.GetGroupAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (TransientTransportException e)
            {
                await BackOffOrGiveUpAsync("topology", -1, ReplyStatus.Unavailable, e.Message, attempt, runStart, keepTryingUntil, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task BackOffOrGiveUpAsync(
        string operation, int group, ReplyStatus status, string? message, int attempt, long runStart, long keepTryingUntil, CancellationToken cancellationToken)
    {
        var giveUpAt = Math.Max(keepTryingUntil, time.After(runStart, options.RequestTimeout));
        var remaining = time.Until(giveUpAt);
        if (giveUpAt != Deadlines.Never && remaining <= TimeSpan.Zero)
        {
            var elapsed = time.GetElapsedTime(runStart);
            Log.GaveUp(logger, operation, group, status, (long)elapsed.TotalMilliseconds);
            throw GiveUp(operation, status, message, elapsed);
        }

        var delay = backoff.Delay(attempt);
        if (remaining != Timeout.InfiniteTimeSpan && delay > remaining)
        {
            delay = remaining;
        }

        metrics.Retried(operation, status.ToString());
        Log.Retrying(logger, operation, group, status, attempt + 1, (long)delay.TotalMilliseconds);
        await time.DelayAsync(delay, cancellationToken).ConfigureAwait(false);
    }

    private static LockServiceException GiveUp(string operation, ReplyStatus status, string? message, TimeSpan elapsed)
    {
        var detail = message is null ? "" : $" Last answer: {message}";
        return status == ReplyStatus.Overloaded
            ? new LockServiceOverloadedException(
                $"The lock service stayed overloaded for {elapsed.TotalSeconds:0.#} s during {operation}. Retry later with backoff, or spread the load over more lock groups.{detail}")
            : new LockServiceUnavailableException(
                $"No leader of the lock group answered {operation} within {elapsed.TotalSeconds:0.#} s (an election, a majority of silos down, or this client cut off from the cluster). Check the cluster's health, then retry; raise LockClientOptions.RequestTimeout to wait longer.{detail}");
    }
}
