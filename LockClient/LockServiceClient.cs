using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using LockService.Client.Diagnostics;
using LockService.Client.Sessions;
using LockService.Client.Transport;
using LockService.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Client;

/// <summary>
/// The SDK's logic above the transport: sessions, waiting in FIFO order by long polls, withdrawing abandoned waits,
/// releases that take effect once, and the bookkeeping that fires <see cref="LockHandle.LostToken"/>.
/// </summary>
internal sealed partial class LockServiceClient : ILockClient
{
    /// <summary>The wait sent for "until cancelled": the service's longest wait; the SDK re-queues when it ends.</summary>
    internal const long MaxWaitMs = int.MaxValue;

    /// <summary>The longest finite timeout accepted: int.MaxValue ms (about 24.8 days), as in Medallion.</summary>
    internal static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>How many sessions one acquire may go through (each lost while the acquire was pending) before it fails.</summary>
    private const int MaxSessionRounds = 5;

    private readonly ILockServiceTransport _transport;
    private readonly LockClientOptions _options;

    internal bool ReleasesAbandonedHandles => _options.ReleaseAbandonedHandles;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly LockClientMetrics _metrics;
    private readonly ClientIdentities _ids;
    private readonly RetryingCaller _caller;
    private readonly Backoff _backoff;
    // Weak: a handle its caller dropped must become collectable, so that its finalizer can release it (see LockHandle).
    private readonly ConcurrentDictionary<(string Name, FencingToken Token), WeakReference<LockHandle>> _held = new();
    private int _disposed;

    public LockServiceClient(
        ILockServiceTransport transport, LockClientOptions options, TimeProvider? time = null, ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null, Random? random = null, Guid? clientId = null)
    {
        _transport = transport;
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("LockService.Client");
        _metrics = new LockClientMetrics(meterFactory);
        // Client keys are secrets: from the OS's cryptographic generator, unless a seeded simulation supplies its own source.
        _ids = new ClientIdentities(clientId ?? ClientIdentities.NewSecretKey(), random);
        random ??= new Random();
        _backoff = new Backoff(Backoff.DefaultInitial, Backoff.DefaultCap, random);
        _caller = new RetryingCaller(options, _time, _backoff, _metrics, _logger);
        Sessions = new SessionPool(transport, options, _time, _caller, _ids, _backoff, _metrics, _logger);
    }

    internal Guid ClientId => _ids.ClientId;

    internal SessionPool Sessions { get; }

    public Task<LockHandle?> TryAcquireAsync(string name, TimeSpan timeout = default, LockMode mode = LockMode.Exclusive, CancellationToken cancellationToken = default)
    {
        CheckTimeout(timeout);
        return AcquireCoreAsync(name, timeout, mode, cancellationToken);
    }

    // Not async: a bad timeout throws here, before a task exists (as Medallion's methods do).
    public Task<LockHandle> AcquireAsync(string name, TimeSpan? timeout = null, LockMode mode = LockMode.Exclusive, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? Timeout.InfiniteTimeSpan;
        CheckTimeout(wait);
        return OrTimeoutAsync(
            AcquireCoreAsync(name, wait, mode, cancellationToken),
            $"The lock '{name}' was not acquired within {wait}: other holders kept it. Wait longer, or use TryAcquireAsync to handle a busy lock without an exception.");
    }

    public async Task<bool> IsCurrentAsync(string name, FencingToken token, CancellationToken cancellationToken = default)
    {
        CheckName(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var group = await _caller.GetGroupAsync(_transport, name, _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        var reply = await _caller.CallAsync(
            "is-current", group, ct => _transport.IsCurrentAsync(group, name, token, ct), _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        if (reply.Status != ReplyStatus.Ok)
        {
            throw ToException("check a token", name, reply.Status, reply.Message);
        }

        if (!reply.IsCurrent && _held.TryGetValue((name, token), out var held) && held.TryGetTarget(out var handle))
        {
            handle.OnLost(LostReason.Revoked);
        }

        return reply.IsCurrent;
    }

    public async Task<LockInfo?> DescribeAsync(string name, CancellationToken cancellationToken = default)
    {
        CheckName(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var group = await _caller.GetGroupAsync(_transport, name, _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        var reply = await _caller.CallAsync(
            "describe", group, ct => _transport.DescribeAsync(group, name, ct), _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        if (reply.Status != ReplyStatus.Ok)
        {
            throw ToException("describe a lock", name, reply.Status, reply.Message);
        }

        if (reply.Holders.Count == 0 && reply.Waiters.Count == 0)
        {
            return null;
        }

        return new LockInfo(
            reply.Name,
            [.. reply.Holders.Select(h => new LockHolder(h.SessionId, h.Mode, h.Token, TimeSpan.FromMilliseconds(h.SessionRemainingTtlMs)))],
            [.. reply.Waiters.Select((w, i) => new LockWaiter(w.SessionId, w.Mode, i))],
            reply.MaxCount);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await Sessions.DisposeAsync().ConfigureAwait(false);
        _metrics.Dispose();
    }

    internal async Task ReleaseAsync(LockHandle handle, CancellationToken cancellationToken)
    {
        if (handle.IsReleased)
        {
            return;
        }

        if (handle.IsLost)
        {
            throw NotHeld(handle);
        }

        using var activity = LockClientTracing.StartRelease(handle.Name, handle.Token);
        var session = handle.Session;
        var ids = session.Ids;
        var request = new ReleaseRequest(ids.Next(), session.Id, handle.Name, handle.Token, ids.AnsweredBelow);
        var earlierReleases = handle.ReleaseSending();
        ReleaseReply reply;
        try
        {
            reply = await _caller.CallAsync(
                "release", session.Group, ct => _transport.ReleaseAsync(session.Group, request, ct), _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Answered or not, this id is done: a later ReleaseAsync sends a new one (see LockHandle.ReleaseSending).
            ids.Complete(request.Request);
        }

        switch (reply.Status)
        {
            case ReplyStatus.Ok:
                OnReleased(handle);
                return;
            case ReplyStatus.NotHolder or ReplyStatus.StaleToken when earlierReleases > 0:
                // An earlier release of this handle, whose answer never came, released it: what the caller asked for.
                OnReleased(handle);
                return;
            case ReplyStatus.NotHolder:
                handle.OnLost(LostReason.Revoked);
                throw NotHeld(handle);
            case ReplyStatus.StaleToken:
                handle.OnLost(LostReason.Revoked);
                throw new StaleFencingTokenException(
                    $"The lock '{handle.Name}' has a grant newer than token {handle.Token}, so this handle no longer held it. Work done after its LostToken fired may overlap the new holder; fence your resources with the token.");
            case ReplyStatus.SessionExpired or ReplyStatus.UnknownSession:
                session.MarkLost(LostReason.SessionExpired);
                throw NotHeld(handle);
            case ReplyStatus.LimitExceeded when ReplyInfo.IsPendingRequestLimit(reply.Status, reply.Message):
                Sessions.ResetIdentity(session.Group, ids);
                throw NotHeld(handle);
            default:
                throw ToException("release a lock", handle.Name, reply.Status, reply.Message);
        }
    }

    private void OnReleased(LockHandle handle)
    {
        if (handle.MarkReleased())
        {
            handle.Session.Remove(handle);
            _held.TryRemove(new((handle.Name, handle.Token), handle.Weak));
            Log.Released(_logger, handle.Name, handle.Token);
        }
    }

    /// <summary>Keeps trying to release a handle whose release could not reach the service, until it is released or lost.</summary>
    internal void ReleaseInBackground(LockHandle handle, Exception failure)
    {
        Log.ReleaseDeferred(_logger, failure, handle.Name, handle.Token);
        Sessions.RunInBackground(
            async stop =>
            {
                for (var attempt = 0; !handle.IsReleased && !handle.IsLost; attempt++)
                {
                    try
                    {
                        await ReleaseAsync(handle, stop).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is LockServiceUnavailableException or LockServiceOverloadedException)
                    {
                        await _time.DelayAsync(_backoff.Delay(attempt), stop).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is LockNotHeldException or StaleFencingTokenException)
                    {
                        return;
                    }
                }
            },
            "release",
            handle.Session.Group);
    }

    internal void OnHandleLost(LockHandle handle, LostReason reason)
    {
        _held.TryRemove(new((handle.Name, handle.Token), handle.Weak));
        _metrics.LeaseLost(reason);
        Log.LockLost(_logger, handle.Name, handle.Token, reason);
    }

    internal static LockServiceException ToException(string operation, string? name, ReplyStatus status, string? message)
    {
        var detail = message is null ? "" : $" ({message})";
        return status switch
        {
            ReplyStatus.InvalidName => new InvalidLockNameException(
                $"The lock service refused the lock name '{name}'{detail}. Use a shorter name of printable characters, e.g. \"orders/42\"."),
            ReplyStatus.InvalidTtl => new InvalidSessionTtlException(
                $"The lock service refused the session TTL{detail}. Change LockClientOptions.SessionTtl."),
            ReplyStatus.LimitExceeded => new LockLimitExceededException(
                $"The lock service refused to {operation} on '{name}': a limit was reached{detail}. Release locks you no longer need or wait before retrying."),
            ReplyStatus.NotHolder => new LockNotHeldException(
                $"The lock '{name}' is not held by this client{detail}."),
            ReplyStatus.StaleToken => new StaleFencingTokenException(
                $"The fencing token for '{name}' is stale{detail}: a newer holder exists. Stop the operation."),
            ReplyStatus.Unavailable or ReplyStatus.NotLeader => new LockServiceUnavailableException(
                $"No leader could {operation} on '{name}'{detail}. Retry later."),
            ReplyStatus.InvalidArgument => new LockServiceException(
                $"The lock service refused the arguments to {operation} on '{name}'{detail}. Change the call as the message says."),
            ReplyStatus.KindMismatch => new LockKindMismatchException(
                $"The lock service refused to {operation} on '{name}'{detail}. Use one name for one kind of primitive (lock, or semaphore with one permit count)."),
            ReplyStatus.Overloaded => new LockServiceOverloadedException(
                $"The lock service is overloaded and could not {operation} on '{name}'{detail}. Retry later with backoff."),
            _ => new LockServiceException(
                $"The lock service answered {status} when asked to {operation} on '{name}'{detail}. This is unexpected: report it with the client's log."),
        };
    }

    /// <summary>Medallion's rule: zero or positive up to int.MaxValue ms, or <see cref="Timeout.InfiniteTimeSpan"/>.</summary>
    internal static void CheckTimeout(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        if (timeout < TimeSpan.Zero || timeout > MaxTimeout)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timeout), timeout,
                $"A timeout must be between zero and {MaxTimeout} (int.MaxValue ms), or Timeout.InfiniteTimeSpan to wait until cancelled.");
        }
    }

    private static async Task<LockHandle> OrTimeoutAsync(Task<LockHandle?> acquiring, string message) =>
        await acquiring.ConfigureAwait(false) ?? throw new TimeoutException(message);

    /// <summary>Refused before anything is sent: the service would refuse it too (same rules, default limit).</summary>
    private static void CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new InvalidLockNameException("A lock name cannot be empty; name the resource the lock protects, e.g. \"orders/42\".");
        }

        if (Leases.LockNameRules.Check(name, Leases.LeaseLimits.Default.MaxLockNameBytes) is { } problem)
        {
            throw new InvalidLockNameException(problem + " Use LockServiceSafeNames.Create for arbitrary strings.");
        }
    }

    private static LockNotHeldException NotHeld(LockHandle handle) => handle.LostReason switch
    {
        LostReason.Revoked => new LockNotHeldException(
            $"The lock '{handle.Name}' (token {handle.Token}) was no longer held by this handle: the service released it (for example an operator did). Work done after its LostToken fired may overlap another holder; fence your resources with the token."),
        LostReason.ClientDisposed => new LockSessionLostException(
            $"The lock '{handle.Name}' (token {handle.Token}) was released when its ILockClient was disposed."),
        _ => new LockSessionLostException(
            $"The lock '{handle.Name}' (token {handle.Token}) was lost with its session ({handle.LostReason}): keepalives did not reach the service in time. Work done after its LostToken fired may overlap another holder; acquire the lock again and fence your resources with the token."),
    };

    private async Task<LockHandle?> AcquireCoreAsync(string name, TimeSpan timeout, LockMode mode, CancellationToken cancellationToken, int maxCount = 0)
    {
        CheckName(name);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var start = _time.GetTimestamp();
        var callerDeadline = _time.After(start, timeout);
        var result = "failed";
        LockHandle? granted = null;
        using var activity = LockClientTracing.StartAcquire(name, mode, maxCount);
        try
        {
            var group = await _caller.GetGroupAsync(_transport, name, callerDeadline, cancellationToken).ConfigureAwait(false);
            for (var round = 1; ; round++)
            {
                GroupSession session;
                try
                {
                    session = await Sessions.GetAsync(group, cancellationToken).ConfigureAwait(false);
                }
                catch (LockServiceUnavailableException) when (!_time.HasPassed(callerDeadline))
                {
                    continue;
                }

                var (outcome, handle) = await AcquireInSessionAsync(group, session, name, mode, timeout, callerDeadline, cancellationToken, maxCount).ConfigureAwait(false);
                switch (outcome)
                {
                    case AcquireOutcome.Granted:
                        result = "granted";
                        granted = handle;
                        Log.Acquired(_logger, name, mode, handle!.Token, (long)_time.GetElapsedTime(start).TotalMilliseconds);
                        return handle;
                    case AcquireOutcome.NotAcquired:
                        result = timeout == TimeSpan.Zero ? "not_acquired" : "timed_out";
                        return null;
                    case AcquireOutcome.SessionLost when timeout != TimeSpan.Zero && _time.HasPassed(callerDeadline):
                        result = "timed_out";
                        return null;
                    case AcquireOutcome.SessionLost when round >= MaxSessionRounds:
                        throw new LockSessionLostException(
                            $"The lock '{name}' could not be acquired: {round} sessions in a row were lost while acquiring it. Keepalives are not reaching the service in time; check the connection to the cluster or raise LockClientOptions.SessionTtl.");
                    default:
                        continue;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            result = "cancelled";
            throw;
        }
        finally
        {
            _metrics.Acquired(mode, result, _time.GetElapsedTime(start));
            LockClientTracing.Acquired(activity, result, granted?.Token);
        }
    }

    private async Task<(AcquireOutcome Outcome, LockHandle? Handle)> AcquireInSessionAsync(
        int group, GroupSession session, string name, LockMode mode, TimeSpan timeout, long callerDeadline, CancellationToken cancellationToken,
        int maxCount)
    {
        var waitMs = timeout == TimeSpan.Zero ? 0
            : timeout == Timeout.InfiniteTimeSpan ? MaxWaitMs
            : Math.Clamp((long)Math.Ceiling(timeout.TotalMilliseconds), 1, MaxWaitMs);
        var ids = session.Ids;
        var request = new AcquireRequest(
            ids.Next(), session.Id, name, mode, waitMs, (long)_options.WaitPollInterval.TotalMilliseconds, ids.AnsweredBelow, maxCount);
        var settled = false;
        try
        {
            return await AcquireUntilAnsweredAsync(group, session, request, waitMs, callerDeadline, () => settled = true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // However the acquire ended, its id is done. Without a final answer it may still have queued or been
            // granted (or be on its way in the log): find out and undo that in the background.
            ids.Complete(request.Request);
            if (!settled)
            {
                ResolveAbandonedInBackground(group, session, request);
            }
        }
    }

    /// <summary>
    /// Sends (and re-issues, while queued) one acquire until its outcome is final for the caller. Calls
    /// <c>settle</c> when the service gave a final answer that the caller acts on: nothing is left to clean up.
    /// </summary>
    private async Task<(AcquireOutcome Outcome, LockHandle? Handle)> AcquireUntilAnsweredAsync(
        int group, GroupSession session, AcquireRequest request, long waitMs, long callerDeadline, Action settle,
        CancellationToken cancellationToken)
    {
        var name = request.Name;
        var mode = request.Mode;

        // The caller's deadline bounds the wait for the lock, not the wait for a first answer: until the service
        // has answered once, transient failures are retried for RequestTimeout (or up to the deadline if later).
        using var deadline = waitMs > 0 && callerDeadline != Deadlines.Never
            ? new CancellationTokenSource(Max(_time.Until(callerDeadline), TimeSpan.Zero), _time)
            : null;
        var answered = false;
        while (true)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(
                cancellationToken, session.LostToken, answered && deadline is not null ? deadline.Token : CancellationToken.None);
            AcquireReply reply;
            try
            {
                reply = await _caller.CallAsync(
                    "acquire", group, ct => _transport.AcquireAsync(group, request, ct), callerDeadline, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return session.IsLost ? (AcquireOutcome.SessionLost, null) : (AcquireOutcome.NotAcquired, null);
            }

            answered = true;
            switch (reply.Status)
            {
                case ReplyStatus.Granted:
                    settle();
                    var handle = new LockHandle(this, session, name, mode, reply.Token);
                    if (!session.TryAdd(handle))
                    {
                        // The client's lease ran out while the grant was on its way: the grant is worthless to
                        // the caller, and closing the lost session gives the lock back.
                        session.MarkLost(LostReason.LeaseDeadlinePassed);
                        return (AcquireOutcome.SessionLost, null);
                    }

                    _held[(name, reply.Token)] = handle.Weak;
                    return (AcquireOutcome.Granted, handle);
                case ReplyStatus.Busy or ReplyStatus.TimedOut:
                    settle();
                    return (AcquireOutcome.NotAcquired, null);
                case ReplyStatus.Queued:
                    // Queued: the service now answers re-issues of this wait from the wait itself, so the wait
                    // must not hold back AnsweredBelow for as long as it lasts (see RequestIds.Acknowledge).
                    session.Ids.Acknowledge(request.Request);
                    if (_time.HasPassed(callerDeadline))
                    {
                        return (AcquireOutcome.NotAcquired, null); // not settled: the wait is withdrawn
                    }

                    continue;
                case ReplyStatus.SessionExpired or ReplyStatus.UnknownSession:
                    settle();
                    session.MarkLost(LostReason.SessionExpired);
                    return (AcquireOutcome.SessionLost, null);
                case ReplyStatus.LimitExceeded when ReplyInfo.IsPendingRequestLimit(reply.Status, reply.Message):
                    settle(); // refused, so not applied
                    Sessions.ResetIdentity(group, session.Ids);
                    return (AcquireOutcome.SessionLost, null);
                default:
                    settle(); // refused, so not applied
                    throw ToException("acquire a lock", name, reply.Status, reply.Message);
            }
        }
    }

    /// <summary>
    /// An acquire ended without a final answer (timed out, cancelled, failed, or its wait given up while queued).
    /// It may have queued or been granted, or still be in the log and be applied later. Finds out and undoes it,
    /// for as long as the session lives (a session's end takes its waits and grants with it).
    /// </summary>
    private void ResolveAbandonedInBackground(int group, GroupSession session, AcquireRequest acquire)
    {
        if (!session.IsLost)
        {
            Sessions.RunInBackground(stop => ResolveAbandonedAsync(group, session, acquire, stop), "resolve-acquire", group);
        }
    }

    /// <summary>
    /// Probes the abandoned acquire's fate with a copy of it that carries AnsweredBelow past its id. The service
    /// forgets up to AnsweredBelow before it looks at the copy, so the copy is answered read-only from the wait
    /// (Granted with its token, Queued, or TimedOut), and no copy still on its way can be applied after it: the
    /// answer is final. Queued is withdrawn (CancelWait) and probed again; Granted is released by its token.
    /// </summary>
    private async Task ResolveAbandonedAsync(int group, GroupSession session, AcquireRequest acquire, CancellationToken stop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, session.LostToken);
        var token = linked.Token;
        var ids = session.Ids;
        var outcome = "session ended";
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                if (ids.AnsweredBelow <= acquire.Request.Sequence)
                {
                    // An older request is still in flight, so a probe could not carry AnsweredBelow past this one.
                    await _time.DelayAsync(_backoff.Delay(attempt), token).ConfigureAwait(false);
                    continue;
                }

                // WaitMs > 0 makes the copy answerable from the wait; 1 ms bounds it should it ever be applied.
                var probe = acquire with { WaitMs = 1, PollMs = 0, AnsweredBelow = ids.AnsweredBelow };
                AcquireReply reply;
                try
                {
                    reply = await _caller.CallAsync(
                        "resolve-acquire", group, ct => _transport.AcquireAsync(group, probe, ct), _time.GetTimestamp(), token).ConfigureAwait(false);
                    if (reply.Status == ReplyStatus.Queued)
                    {
                        await CallOnceAsync(session, ids, "cancel-wait", id => _transport.CancelWaitAsync(
                            group, new CancelWaitRequest(id, session.Id, acquire.Name, acquire.Request, ids.AnsweredBelow), token), token).ConfigureAwait(false);
                        continue;
                    }

                    if (reply.Status == ReplyStatus.Granted)
                    {
                        await CallOnceAsync(session, ids, "release", id => _transport.ReleaseAsync(
                            group, new ReleaseRequest(id, session.Id, acquire.Name, reply.Token, ids.AnsweredBelow), token), token).ConfigureAwait(false);
                        outcome = $"late grant {reply.Token} released";
                        return;
                    }
                }
                catch (Exception e) when (e is LockServiceUnavailableException or LockServiceOverloadedException)
                {
                    // The service is still away: keep trying while the session lives.
                    await _time.DelayAsync(_backoff.Delay(attempt), token).ConfigureAwait(false);
                    continue;
                }

                if (ReplyInfo.IsPendingRequestLimit(reply.Status, reply.Message))
                {
                    Sessions.ResetIdentity(group, ids);
                }

                outcome = reply.Status.ToString(); // neither waits nor holds, and never will
                return;
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // A lost session's waits and grants end with it; a disposed client closes its sessions.
        }
        finally
        {
            Log.OrphanResolved(_logger, acquire.Name, acquire.Request.Sequence, outcome);
        }
    }

    /// <summary>One command with a fresh id of the session's identity, retried through transient answers; the id ends with the call.</summary>
    private async Task<TReply> CallOnceAsync<TReply>(
        GroupSession session, RequestIds ids, string operation, Func<RequestId, Task<TReply>> send, CancellationToken cancellationToken)
        where TReply : class
    {
        var id = ids.Next();
        try
        {
            return await _caller.CallAsync(operation, session.Group, _ => send(id), _time.GetTimestamp(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ids.Complete(id);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private enum AcquireOutcome
    {
        Granted,
        NotAcquired,
        SessionLost,
    }
}
