using LockService.Client.Transport;

namespace LockService.Client.Sessions;

/// <summary>
/// This client's session in one lock group, as the client sees it: the session id, the TTL, and the client's own
/// lease deadline = send time of the last acknowledged keepalive + TTL·(1 − ε) − margin. When that deadline passes
/// without a newer acknowledgement, or the service reports the session gone, the session is lost: every handle it
/// holds fires its <see cref="LockHandle.LostToken"/>, and new acquires open a new session.
/// </summary>
internal sealed class GroupSession : IDisposable
{
    private readonly object _gate = new();
    // Weak (each handle's own WeakReference, compared by reference): the session must not keep a handle its caller
    // dropped alive, or its keepalives would hold that lock for as long as the process lives (see LockHandle's finalizer).
    private readonly HashSet<WeakReference<LockHandle>> _handles = [];
    private readonly CancellationTokenSource _lost = new();
    private readonly LockClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<GroupSession, LostReason, IReadOnlyList<LockHandle>> _onLost;
    private readonly ITimer _deadlineTimer;
    private long _deadline;
    private LostReason? _lostReason;

    // sentAt: the timestamp at which the request that opened the session was first sent.
    public GroupSession(
        int group, Guid id, RequestIds ids, TimeSpan ttl, long sentAt, LockClientOptions options, TimeProvider time,
        Action<GroupSession, LostReason, IReadOnlyList<LockHandle>> onLost)
    {
        Group = group;
        Id = id;
        Ids = ids;
        Ttl = ttl;
        _options = options;
        _time = time;
        _onLost = onLost;
        _deadline = time.After(sentAt, options.LocalLeaseFor(ttl));
        _deadlineTimer = time.CreateTimer(static s => ((GroupSession)s!).OnDeadlineTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        ArmTimer();
    }

    public int Group { get; }

    public Guid Id { get; }

    /// <summary>The identity that opened the session: the service accepts the session's requests only from it.</summary>
    public RequestIds Ids { get; }

    /// <summary>The TTL the service granted (or confirmed with the last keepalive).</summary>
    public TimeSpan Ttl { get; private set; }

    /// <summary>Timestamp at which the client stops trusting the session.</summary>
    public long Deadline
    {
        get
        {
            lock (_gate)
            {
                return _deadline;
            }
        }
    }

    /// <summary>Cancelled when the session is lost.</summary>
    public CancellationToken LostToken => _lost.Token;

    public bool IsLost => _lost.IsCancellationRequested;

    public LostReason? LostReason
    {
        get
        {
            lock (_gate)
            {
                return _lostReason;
            }
        }
    }

    public int HandleCount
    {
        get
        {
            lock (_gate)
            {
                return _handles.Count;
            }
        }
    }

    /// <summary>Records an acknowledged keepalive sent at <paramref name="sentAt"/>; moves the deadline only forward.</summary>
    /// <returns><c>false</c> when the session was already lost (a late acknowledgement does not revive it).</returns>
    public bool Renewed(long sentAt, TimeSpan ttl)
    {
        lock (_gate)
        {
            if (_lostReason is not null)
            {
                return false;
            }

            Ttl = ttl;
            var deadline = _time.After(sentAt, _options.LocalLeaseFor(ttl));
            if (deadline > _deadline)
            {
                _deadline = deadline;
                ArmTimer();
            }

            return true;
        }
    }

    /// <summary>Adds a granted lock to the session, unless the session is lost already.</summary>
    public bool TryAdd(LockHandle handle)
    {
        lock (_gate)
        {
            return _lostReason is null && !_time.HasPassed(_deadline) && _handles.Add(handle.Weak);
        }
    }

    public void Remove(LockHandle handle)
    {
        lock (_gate)
        {
            _handles.Remove(handle.Weak);
        }
    }

    /// <summary>Marks the session lost (once) and fires the lost token of every handle it holds.</summary>
    /// <returns><c>true</c> for the call that lost it.</returns>
    public bool MarkLost(LostReason reason)
    {
        List<LockHandle> handles = [];
        lock (_gate)
        {
            if (_lostReason is not null)
            {
                return false;
            }

            _lostReason = reason;
            foreach (var weak in _handles)
            {
                if (weak.TryGetTarget(out var handle))
                {
                    handles.Add(handle);
                }
            }

            _handles.Clear();
        }

        _deadlineTimer.Dispose();
        foreach (var handle in handles)
        {
            handle.OnLost(reason);
        }

        _lost.Cancel();
        _onLost(this, reason, handles);
        return true;
    }

    public void Dispose()
    {
        _deadlineTimer.Dispose();
    }

    private void ArmTimer()
    {
        var due = _time.Until(_deadline);
        _deadlineTimer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private void OnDeadlineTimer()
    {
        lock (_gate)
        {
            if (_lostReason is not null)
            {
                return;
            }

            if (!_time.HasPassed(_deadline))
            {
                ArmTimer();
                return;
            }
        }

        MarkLost(Client.LostReason.LeaseDeadlinePassed);
    }
}
