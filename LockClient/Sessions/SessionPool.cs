using LockService.Client.Diagnostics;
using LockService.Client.Transport;
using LockService.Protocol;
using Microsoft.Extensions.Logging;

namespace LockService.Client.Sessions;

/// <summary>
/// The client's sessions, one per lock group it uses: opened lazily by the first acquire in a group, renewed in the
/// background every <see cref="LockClientOptions.EffectiveKeepAliveInterval"/>, replaced once lost, closed on dispose.
/// </summary>
internal sealed class SessionPool : IAsyncDisposable
{
    private readonly ILockServiceTransport _transport;
    private readonly LockClientOptions _options;
    private readonly TimeProvider _time;
    private readonly RetryingCaller _caller;
    private readonly ClientIdentities _identities;
    private readonly Backoff _backoff;
    private readonly LockClientMetrics _metrics;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private readonly Dictionary<int, Task<GroupSession>> _current = [];
    private readonly HashSet<Task> _background = [];
    private readonly CancellationTokenSource _disposing = new();
    private bool _disposed;

    public SessionPool(
        ILockServiceTransport transport, LockClientOptions options, TimeProvider time, RetryingCaller caller, ClientIdentities identities,
        Backoff backoff, LockClientMetrics metrics, ILogger logger)
    {
        _transport = transport;
        _options = options;
        _time = time;
        _caller = caller;
        _identities = identities;
        _backoff = backoff;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The group's live session, opening one if there is none (concurrent callers share one opening).</summary>
    /// <exception cref="LockServiceUnavailableException">No leader answered within the request timeout.</exception>
    public async Task<GroupSession> GetAsync(int group, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task<GroupSession> opening;
            TaskCompletionSource<GroupSession>? mine = null;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!_current.TryGetValue(group, out opening!) || opening.IsFaulted || opening.IsCanceled ||
                    (opening.IsCompletedSuccessfully && opening.Result.IsLost))
                {
                    mine = new TaskCompletionSource<GroupSession>();
                    opening = mine.Task;
                    _current[group] = opening;
                }
            }

            if (mine is not null)
            {
                // Opened outside the lock, on the caller's flow (no thread-pool hop, so a simulation stays deterministic).
                _ = CompleteAsync(mine, OpenAsync(group));
            }

            try
            {
                var session = await opening.WithTimeout(Timeout.InfiniteTimeSpan, _time, cancellationToken).ConfigureAwait(false);
                if (!session.IsLost)
                {
                    return session;
                }
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                lock (_gate)
                {
                    if (_current.TryGetValue(group, out var current) && current == opening)
                    {
                        _current.Remove(group);
                    }
                }

                throw;
            }
        }
    }

    /// <summary>Sessions that are currently live (for tests and diagnostics).</summary>
    public IReadOnlyList<GroupSession> LiveSessions()
    {
        lock (_gate)
        {
            return [.. _current.Values.Where(t => t.IsCompletedSuccessfully && !t.Result.IsLost).Select(t => t.Result)];
        }
    }

    /// <summary>Runs cleanup work that must outlive its caller, so that dispose can wait for it.</summary>
    public void RunInBackground(Func<CancellationToken, Task> work, string operation, int group)
    {
        CancellationToken disposing;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            disposing = _disposing.Token;
        }

        // Started on the caller's flow up to its first wait, not on the thread pool: the work's continuations then
        // run where its awaited calls and timers complete (deterministic under a simulated transport and clock).
        Task task;
        try
        {
            task = work(disposing);
        }
        catch (Exception e)
        {
            task = Task.FromException(e);
        }

        lock (_gate)
        {
            _background.Add(task);
        }

        task.ContinueWith(
            t =>
            {
                if (t.Exception is { } e && !_disposing.IsCancellationRequested)
                {
                    Log.CleanupFailed(_logger, e.GetBaseException(), operation, group);
                }

                lock (_gate)
                {
                    _background.Remove(t);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync()
    {
        List<Task<GroupSession>> sessions;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            sessions = [.. _current.Values];
            _current.Clear();
        }

        var closing = new List<Task>();
        foreach (var opening in sessions)
        {
            if (opening.IsCompletedSuccessfully && opening.Result.MarkLost(LostReason.ClientDisposed))
            {
                closing.Add(CloseAsync(opening.Result, CancellationToken.None));
            }
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
        _disposing.Cancel();
        Task[] background;
        lock (_gate)
        {
            background = [.. _background];
        }

        try
        {
            await Task.WhenAll(background).WithTimeout(_options.CallTimeout, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Cleanup that did not finish in time ends with the sessions on the service.
        }

        foreach (var opening in sessions)
        {
            if (opening.IsCompletedSuccessfully)
            {
                opening.Result.Dispose();
            }
        }

        _disposing.Dispose();
    }

    private static async Task CompleteAsync(TaskCompletionSource<GroupSession> opening, Task<GroupSession> open)
    {
        try
        {
            opening.TrySetResult(await open.ConfigureAwait(false));
        }
        catch (OperationCanceledException e)
        {
            opening.TrySetCanceled(e.CancellationToken);
        }
        catch (Exception e)
        {
            opening.TrySetException(e);
        }
    }

    private async Task<GroupSession> OpenAsync(int group)
    {
        for (var identity = 0; ; identity++)
        {
            var ids = _identities.For(group);
            var request = new OpenSessionRequest(ids.Next(), (long)_options.SessionTtl.TotalMilliseconds, ids.AnsweredBelow);
            try
            {
                var reply = await OpenWithAsync(group, ids, request).ConfigureAwait(false);
                if (reply.Session is { } session)
                {
                    return session;
                }

                if (identity > 0)
                {
                    throw LockServiceClient.ToException("open a session", null, reply.Status, reply.Message);
                }

                ResetIdentity(group, ids); // a fresh identity has no unacknowledged answers: open with it
            }
            finally
            {
                // An open that ended without an answer may still open a session on the service: nobody renews it, and
                // it expires after its TTL (its id is never sent again, so it cannot be confused with a later one).
                ids.Complete(request.Request);
            }
        }
    }

    /// <summary>
    /// The service refused this identity in <paramref name="group"/> for too many unacknowledged answers: take a fresh
    /// one and give up the sessions of the old one (the service accepts their requests only from it).
    /// </summary>
    public void ResetIdentity(int group, RequestIds worn)
    {
        if (_identities.Replace(group, worn))
        {
            Log.IdentityReset(_logger, group); // never the key: it is the client's secret
        }

        List<Task<GroupSession>> sessions;
        lock (_gate)
        {
            sessions = [.. _current.Values];
        }

        foreach (var opening in sessions)
        {
            if (opening.IsCompletedSuccessfully && opening.Result.Group == group && opening.Result.Ids == worn)
            {
                opening.Result.MarkLost(LostReason.IdentityReset);
            }
        }
    }

    /// <returns>The session; or none when the service refused this identity for its unacknowledged answers.</returns>
    private async Task<(GroupSession? Session, ReplyStatus Status, string? Message)> OpenWithAsync(int group, RequestIds ids, OpenSessionRequest request)
    {
        // The first send time, not the last: a retried open returns the answer remembered from its first
        // application, whose renewal point may precede any later attempt.
        var sentAt = _time.GetTimestamp();
        var reply = await _caller.CallAsync(
            "open-session", group, ct => _transport.OpenSessionAsync(group, request, ct), _time.GetTimestamp(),
            _disposing.Token).ConfigureAwait(false);
        switch (reply.Status)
        {
            case ReplyStatus.Ok:
                var session = new GroupSession(group, reply.SessionId, ids, TimeSpan.FromMilliseconds(reply.TtlMs), sentAt, _options, _time, OnSessionLost);
                Log.SessionOpened(_logger, session.Id, group, reply.TtlMs);
                RunInBackground(ct => KeepAliveLoopAsync(session, ct), "keepalive", group);
                return (session, reply.Status, null);
            case ReplyStatus.LimitExceeded when ReplyInfo.IsPendingRequestLimit(reply.Status, reply.Message):
                return (null, reply.Status, reply.Message);
            case ReplyStatus.InvalidTtl:
                throw new InvalidSessionTtlException(
                    $"The lock service refused the session TTL {_options.SessionTtl}: {reply.Message ?? "out of its accepted range"}. Change LockClientOptions.SessionTtl.");
            default:
                throw LockServiceClient.ToException("open a session", null, reply.Status, reply.Message);
        }
    }

    /// <summary>Renews the session every keepalive interval; retries quickly while no leader answers.</summary>
    private async Task KeepAliveLoopAsync(GroupSession session, CancellationToken disposing)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(disposing, session.LostToken);
        var stop = linked.Token;
        var request = new KeepAliveRequest(session.Id, session.Ids.ClientId); // the key proves the session is ours
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _time.DelayAsync(_options.EffectiveKeepAliveInterval, stop).ConfigureAwait(false);
                for (var attempt = 0; !stop.IsCancellationRequested; attempt++)
                {
                    var sentAt = _time.GetTimestamp();
                    var reply = await _transport.KeepAliveAsync(session.Group, request, stop).ConfigureAwait(false);
                    if (reply.Status == ReplyStatus.Ok)
                    {
                        session.Renewed(sentAt, TimeSpan.FromMilliseconds(reply.TtlMs));
                        break;
                    }

                    if (reply.Status is ReplyStatus.SessionExpired or ReplyStatus.UnknownSession)
                    {
                        session.MarkLost(LostReason.SessionExpired);
                        return;
                    }

                    var delay = _backoff.Delay(attempt);
                    _metrics.Retried("keepalive", reply.Status.ToString());
                    Log.KeepAliveRetry(_logger, session.Id, reply.Status, (long)delay.TotalMilliseconds);
                    await _time.DelayAsync(delay, stop).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private void OnSessionLost(GroupSession session, LostReason reason, IReadOnlyList<LockHandle> handles)
    {
        if (reason == LostReason.ClientDisposed && handles.Count == 0)
        {
            Log.SessionClosed(_logger, session.Id, session.Group, reason); // a normal shutdown, not a loss
        }
        else
        {
            Log.SessionLost(_logger, session.Id, session.Group, reason, handles.Count);
        }
        lock (_gate)
        {
            if (_current.TryGetValue(session.Group, out var current) && current.IsCompletedSuccessfully && current.Result == session)
            {
                _current.Remove(session.Group);
            }
        }

        // The service may still hold the session (the client gave up on it early, by design): close it so that its
        // locks go to their waiters now rather than at the end of the TTL. The deadline usually passes because the
        // service could not be reached (a storage outage, an election), so the close keeps trying until it lands:
        // a new leader gives every session a fresh TTL, and without the close a dead holder's locks would wait it out.
        if (reason == LostReason.LeaseDeadlinePassed)
        {
            RunInBackground(ct => CloseAsync(session, ct, retryFor: 2 * session.Ttl), "close-session", session.Group);
        }
    }

    /// <summary>Closes a session at the service, best effort; a session not closed expires after its TTL there.</summary>
    /// <param name="session">The session, already lost or disposed on this side.</param>
    /// <param name="cancellationToken">Ends the attempts (the client is being disposed).</param>
    /// <param name="retryFor">Zero: one attempt (a dispose must not wait on an unreachable service). Otherwise the
    /// close is retried with backoff while no leader answers, for this long.</param>
    private async Task CloseAsync(GroupSession session, CancellationToken cancellationToken, TimeSpan retryFor = default)
    {
        try
        {
            if (retryFor > TimeSpan.Zero)
            {
                // A fresh request id per attempt, each acknowledged when its attempt ends: a close is idempotent (a later
                // attempt after an applied one finds the session gone), and a close that keeps retrying through an
                // outage must not hold AnsweredBelow back for every other request of this client meanwhile.
                await _caller.CallAsync(
                    "close-session", session.Group, ct => CloseOnceAsync(session, ct), _time.After(_time.GetTimestamp(), retryFor),
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                using var timeout = new CancellationTokenSource(_options.CallTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                await CloseOnceAsync(session, linked.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or LockServiceUnavailableException or LockServiceOverloadedException)
        {
            // Best effort: a session not closed expires after its TTL.
        }
    }

    private async Task<SessionReply> CloseOnceAsync(GroupSession session, CancellationToken cancellationToken)
    {
        var ids = session.Ids;
        var request = new CloseSessionRequest(ids.Next(), session.Id, ids.AnsweredBelow);
        try
        {
            return await _transport.CloseSessionAsync(session.Group, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ids.Complete(request.Request);
        }
    }
}
