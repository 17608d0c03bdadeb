using LockService.Client.Transport;
using LockService.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace LockService.Client.Tests.Fakes;

/// <summary>
/// An in-memory lock service that follows the protocol's semantics, driven by a <see cref="FakeTimeProvider"/>:
/// sessions with TTLs renewed by keepalives and expired by a periodic tick, exclusive and shared holders, FIFO
/// waiters that long-poll (Queued after PollMs), strictly increasing fencing tokens, and exactly-once answers per
/// request id. Faults can be injected per operation. Shared by any number of clients, like a real cluster.
/// </summary>
internal sealed class FakeLockService : ILockServiceTransport, IDisposable
{
    private readonly object _gate = new();
    private readonly FakeTimeProvider _time;
    private readonly Dictionary<Guid, Session> _sessions = [];
    private readonly HashSet<Guid> _expired = [];
    private readonly Dictionary<string, Lock> _locks = [];
    private readonly Dictionary<(int Group, Guid Client), ClientRecord> _clients = [];
    private readonly List<(string Operation, object Request)> _calls = [];
    private readonly ITimer _ticker;
    private int _applyingGroup; // the group of the command being applied (under _gate)
    private long _index;

    public FakeLockService(FakeTimeProvider time, int groupCount = 1)
    {
        _time = time;
        GroupCount = groupCount;
        _ticker = time.CreateTimer(_ => Tick(), null, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(50));
    }

    public int GroupCount { get; }

    public long Term { get; set; } = 1;

    /// <summary>Answers the next calls of an operation ("acquire", "keepalive", ...) with this status, without applying them.</summary>
    public Func<string, object, ReplyStatus?> Fault { get; set; } = (_, _) => null;

    /// <summary>Applies the call, then answers this status instead of the real answer (a lost reply).</summary>
    public Func<string, object, ReplyStatus?> FaultAfterApply { get; set; } = (_, _) => null;

    public int TopologyFailures { get; set; }

    /// <summary>The state machine's MaxPendingRequestsPerClient: answers kept per client above its AnsweredBelow.</summary>
    public int PendingLimit { get; set; } = 1024;

    /// <summary>Client identities that have sent requests (a client that reset its identity shows up twice).</summary>
    public IReadOnlyList<Guid> ClientIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _clients.Keys.Select(k => k.Client).Distinct()];
            }
        }
    }

    /// <summary>How many answers the service keeps for a client (those it has not been told it may forget).</summary>
    public int PendingAnswers(Guid clientId)
    {
        lock (_gate)
        {
            return _clients.Where(c => c.Key.Client == clientId).Sum(c => c.Value.Answers.Count);
        }
    }

    public IReadOnlyList<(string Operation, object Request)> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public int CallCount(string operation) => Calls.Count(c => c.Operation == operation);

    public int SessionCount
    {
        get
        {
            lock (_gate)
            {
                return _sessions.Count;
            }
        }
    }

    public int WaiterCount(string name)
    {
        lock (_gate)
        {
            return _locks.TryGetValue(name, out var l) ? l.Waiters.Count : 0;
        }
    }

    public IReadOnlyList<FencingToken> HolderTokens(string name)
    {
        lock (_gate)
        {
            return _locks.TryGetValue(name, out var l) ? [.. l.Holders.Select(h => h.Token)] : [];
        }
    }

    /// <summary>An operator's forced release of every holder of a lock.</summary>
    public void ForceRelease(string name)
    {
        var completions = new List<Action>();
        lock (_gate)
        {
            if (_locks.TryGetValue(name, out var l))
            {
                l.Holders.Clear();
                Promote(name, l, completions);
            }
        }

        completions.ForEach(c => c());
    }

    /// <summary>Expires a session now, as the leader would when its TTL passed.</summary>
    public void ExpireSession(Guid sessionId)
    {
        var completions = new List<Action>();
        lock (_gate)
        {
            Expire(sessionId, completions);
        }

        completions.ForEach(c => c());
    }

    /// <summary>What a newly elected leader does: it cannot know when each session last renewed, so every live
    /// session gets a full TTL from now.</summary>
    public void RenewEverySessionAsANewLeader()
    {
        lock (_gate)
        {
            Term++;
            foreach (var session in _sessions.Values)
            {
                session.RenewedAt = _time.GetTimestamp();
            }
        }
    }

    public ValueTask<int> GetGroupAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (TopologyFailures > 0)
            {
                TopologyFailures--;
                throw new TransientTransportException("directory unreachable (fake)");
            }
        }

        return ValueTask.FromResult(LockGroups.GroupOf(name, GroupCount));
    }

    public Task<SessionReply> OpenSessionAsync(int group, OpenSessionRequest request, CancellationToken cancellationToken) =>
        Handle("open", request, s => new SessionReply(s, Guid.Empty, 0), completions =>
        {
            if (request.TtlMs is < 1000 or > 3_600_000)
            {
                return Remember(request.Request, new SessionReply(ReplyStatus.InvalidTtl, Guid.Empty, 0, Message: "TTL out of range"));
            }

            var session = new Session(Guid.NewGuid(), request.TtlMs, _time.GetTimestamp());
            _sessions[session.Id] = session;
            return Remember(request.Request, new SessionReply(ReplyStatus.Ok, session.Id, request.TtlMs));
        }, (group, request.Request, request.AnsweredBelow));

    public Task<SessionReply> KeepAliveAsync(int group, KeepAliveRequest request, CancellationToken cancellationToken) =>
        Handle("keepalive", request, s => new SessionReply(s, request.SessionId, 0), completions =>
        {
            if (!_sessions.TryGetValue(request.SessionId, out var session))
            {
                return new SessionReply(_expired.Contains(request.SessionId) ? ReplyStatus.SessionExpired : ReplyStatus.UnknownSession, request.SessionId, 0);
            }

            session.RenewedAt = _time.GetTimestamp();
            return new SessionReply(ReplyStatus.Ok, session.Id, session.TtlMs);
        });

    public Task<SessionReply> CloseSessionAsync(int group, CloseSessionRequest request, CancellationToken cancellationToken) =>
        Handle("close", request, s => new SessionReply(s, request.SessionId, 0), completions =>
        {
            if (_sessions.ContainsKey(request.SessionId))
            {
                Expire(request.SessionId, completions);
            }

            return Remember(request.Request, new SessionReply(ReplyStatus.Ok, request.SessionId, 0));
        }, (group, request.Request, request.AnsweredBelow));

    public Task<AcquireReply> AcquireAsync(int group, AcquireRequest request, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _calls.Add(("acquire", request));
            if (Fault("acquire", request) is { } fault)
            {
                return Task.FromResult(new AcquireReply(fault, default, 0));
            }
        }

        var completions = new List<Action>();
        Task<AcquireReply> result;
        lock (_gate)
        {
            result = Acquire(group, request, completions);
        }

        completions.ForEach(c => c());
        if (FaultAfterApply("acquire", request) is { } lost)
        {
            return Task.FromResult(new AcquireReply(lost, default, 0));
        }

        return result.WaitAsync(cancellationToken);
    }

    public Task<ReleaseReply> ReleaseAsync(int group, ReleaseRequest request, CancellationToken cancellationToken) =>
        Handle("release", request, s => new ReleaseReply(s), completions =>
        {
            if (!_sessions.ContainsKey(request.SessionId))
            {
                return new ReleaseReply(_expired.Contains(request.SessionId) ? ReplyStatus.SessionExpired : ReplyStatus.UnknownSession);
            }

            if (_locks.TryGetValue(request.Name, out var l) &&
                l.Holders.FindIndex(h => h.Session == request.SessionId && h.Token == request.Token) is var i and >= 0)
            {
                l.Holders.RemoveAt(i);
                Promote(request.Name, l, completions);
                return Remember(request.Request, new ReleaseReply(ReplyStatus.Ok));
            }

            var stale = l is not null && l.Highest > request.Token;
            return Remember(request.Request, new ReleaseReply(stale ? ReplyStatus.StaleToken : ReplyStatus.NotHolder));
        }, (group, request.Request, request.AnsweredBelow));

    public Task<ReleaseReply> CancelWaitAsync(int group, CancelWaitRequest request, CancellationToken cancellationToken) =>
        Handle("cancel-wait", request, s => new ReleaseReply(s), completions =>
        {
            if (!_sessions.ContainsKey(request.SessionId))
            {
                return new ReleaseReply(_expired.Contains(request.SessionId) ? ReplyStatus.SessionExpired : ReplyStatus.UnknownSession);
            }

            // As the replica: a waiter is withdrawn; a grant that came first stays (the client releases it by
            // token); "not waiting" reads Ok on the wire. The acquire's own answer says which happened.
            if (_locks.TryGetValue(request.Name, out var l) && l.Waiters.FirstOrDefault(w => w.Request == request.AcquireRequest) is { } waiter)
            {
                l.Waiters.Remove(waiter);
                Answer(waiter, new AcquireReply(ReplyStatus.TimedOut, default, 0), completions);
                Promote(request.Name, l, completions);
            }

            return Remember(request.Request, new ReleaseReply(ReplyStatus.Ok));
        }, (group, request.Request, request.AnsweredBelow));

    public Task<DescribeReply> DescribeAsync(int group, string name, CancellationToken cancellationToken) =>
        Handle("describe", name, s => new DescribeReply(s, name, [], []), completions =>
        {
            if (!_locks.TryGetValue(name, out var l))
            {
                return new DescribeReply(ReplyStatus.Ok, name, [], []);
            }

            var now = _time.GetTimestamp();
            return new DescribeReply(
                ReplyStatus.Ok, name,
                [.. l.Holders.Select(h => new LockHolderInfo(h.Session, h.Mode, h.Token, _sessions[h.Session].RemainingMs(now, _time)))],
                [.. l.Waiters.Select(w => new LockWaiterInfo(w.Session, w.Mode, w.Request))]);
        });

    public Task<IsCurrentReply> IsCurrentAsync(int group, string name, FencingToken token, CancellationToken cancellationToken) =>
        Handle("is-current", (name, token), s => new IsCurrentReply(s, false), completions =>
            new IsCurrentReply(ReplyStatus.Ok, _locks.TryGetValue(name, out var l) && l.Holders.Any(h => h.Token == token)));

    public void Dispose() => _ticker.Dispose();

    private Task<T> Handle<T>(
        string operation, object request, Func<ReplyStatus, T> faulted, Func<List<Action>, T> apply, (int Group, RequestId Id, long AnsweredBelow)? id = null)
        where T : class
    {
        var completions = new List<Action>();
        T reply;
        lock (_gate)
        {
            _calls.Add((operation, request));
            if (Fault(operation, request) is { } fault)
            {
                return Task.FromResult(faulted(fault));
            }

            object? remembered = null;
            if (id is { } command && Admit(command.Group, command.Id, command.AnsweredBelow, out remembered) is { } refusal)
            {
                reply = (T)Refusal(faulted(refusal), refusal);
            }
            else
            {
                reply = remembered is T known ? known : apply(completions);
            }
        }

        completions.ForEach(c => c());
        return Task.FromResult(FaultAfterApply(operation, request) is { } lost ? faulted(lost) : reply);
    }

    /// <summary>
    /// The state machine's exactly-once rules: forget answers below the request's AnsweredBelow; refuse a stale copy
    /// of an acknowledged request (InvalidArgument, as AlreadyAnswered reads on the wire) and a new request beyond the
    /// limit of kept answers (LimitExceeded); hand back a remembered answer.
    /// </summary>
    private ReplyStatus? Admit(int group, RequestId id, long answeredBelow, out object? remembered)
    {
        _applyingGroup = group;
        if (!_clients.TryGetValue((group, id.ClientId), out var client))
        {
            _clients[(group, id.ClientId)] = client = new ClientRecord();
        }

        if (answeredBelow > client.AnsweredBelow)
        {
            foreach (var sequence in client.Answers.Keys.Where(s => s < answeredBelow).ToList())
            {
                client.Answers.Remove(sequence);
            }

            client.AnsweredBelow = answeredBelow;
        }

        remembered = null;
        if (id.Sequence < client.AnsweredBelow)
        {
            return ReplyStatus.InvalidArgument;
        }

        if (client.Answers.TryGetValue(id.Sequence, out remembered))
        {
            return null;
        }

        return client.Answers.Count >= PendingLimit ? ReplyStatus.LimitExceeded : null;
    }

    /// <summary>The state machine's messages for its exactly-once refusals (the client reads the limit's).</summary>
    private object Refusal(object reply, ReplyStatus status)
    {
        var message = status == ReplyStatus.LimitExceeded
            ? $"Limit of {PendingLimit} unacknowledged requests per client; acknowledge answers (AnsweredBelow) before sending more"
            : "This request was already answered and acknowledged; this is a stale copy.";
        return reply switch
        {
            SessionReply r => r with { Message = message },
            AcquireReply r => r with { Message = message },
            ReleaseReply r => r with { Message = message },
            _ => reply,
        };
    }

    private T Remember<T>(RequestId id, T reply)
        where T : class
    {
        if (_clients.TryGetValue((_applyingGroup, id.ClientId), out var client))
        {
            client.Answers[id.Sequence] = reply;
        }

        return reply;
    }

    private void UpdateAnswer(int group, RequestId id, object reply)
    {
        if (_clients.TryGetValue((group, id.ClientId), out var client) && client.Answers.ContainsKey(id.Sequence))
        {
            client.Answers[id.Sequence] = reply;
        }
    }

    private Task<AcquireReply> Acquire(int group, AcquireRequest request, List<Action> completions)
    {
        var id = request.Request;
        var refusal = Admit(group, id, request.AnsweredBelow, out var remembered);
        var staleWait = refusal == ReplyStatus.InvalidArgument && request.WaitMs > 0;
        if (refusal is { } refused && !staleWait)
        {
            return Task.FromResult((AcquireReply)Refusal(new AcquireReply(refused, default, 0), refused));
        }

        if (remembered is AcquireReply { Status: not ReplyStatus.Queued } answer)
        {
            return Task.FromResult(answer);
        }

        if (!_sessions.ContainsKey(request.SessionId))
        {
            return Task.FromResult(new AcquireReply(
                _expired.Contains(request.SessionId) ? ReplyStatus.SessionExpired : ReplyStatus.UnknownSession, default, 0));
        }

        if (!_locks.TryGetValue(request.Name, out var l))
        {
            _locks[request.Name] = l = new Lock();
        }

        var waiter = l.Waiters.FirstOrDefault(w => w.Request == id);
        if (waiter is null && staleWait)
        {
            // A stale copy of an acknowledged wait is answered from the wait, read-only (never queues or grants).
            return Task.FromResult(l.Holders.FirstOrDefault(h => h.Request == id) is { } holder
                ? new AcquireReply(ReplyStatus.Granted, holder.Token, 0)
                : new AcquireReply(ReplyStatus.TimedOut, default, 0));
        }

        if (waiter is null)
        {
            if (l.Waiters.Count == 0 && l.CanGrant(request.Mode))
            {
                return Task.FromResult(Remember(id, Grant(l, id, request.SessionId, request.Mode)));
            }

            if (request.WaitMs == 0)
            {
                return Task.FromResult(Remember(id, new AcquireReply(ReplyStatus.Busy, default, 0)));
            }

            waiter = new Waiter(group, id, request.SessionId, request.Mode, _time.GetTimestamp() + request.WaitMs * _time.TimestampFrequency / 1000);
            l.Waiters.Add(waiter);
            Remember(id, new AcquireReply(ReplyStatus.Queued, default, l.Waiters.Count - 1));
        }

        var poll = new TaskCompletionSource<AcquireReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        var position = l.Waiters.IndexOf(waiter);
        waiter.Poll?.TrySetResult(new AcquireReply(ReplyStatus.Queued, default, position));
        waiter.Poll = poll;
        var timer = _time.CreateTimer(_ => poll.TrySetResult(new AcquireReply(ReplyStatus.Queued, default, position)), null, TimeSpan.FromMilliseconds(request.PollMs), Timeout.InfiniteTimeSpan);
        poll.Task.ContinueWith(_ => timer.Dispose(), TaskScheduler.Default);
        return poll.Task;
    }

    private AcquireReply Grant(Lock l, RequestId request, Guid session, LockMode mode)
    {
        var token = new FencingToken(Term, ++_index);
        l.Holders.Add(new Holder(session, mode, token, request));
        l.Highest = token;
        return new AcquireReply(ReplyStatus.Granted, token, 0);
    }

    private void Promote(string name, Lock l, List<Action> completions)
    {
        while (l.Waiters.Count > 0 && l.CanGrant(l.Waiters[0].Mode))
        {
            var waiter = l.Waiters[0];
            l.Waiters.RemoveAt(0);
            Answer(waiter, Grant(l, waiter.Request, waiter.Session, waiter.Mode), completions);
        }
    }

    private void Answer(Waiter waiter, AcquireReply reply, List<Action> completions)
    {
        UpdateAnswer(waiter.Group, waiter.Request, reply);
        if (waiter.Poll is { } poll)
        {
            completions.Add(() => poll.TrySetResult(reply));
        }
    }

    private void Expire(Guid sessionId, List<Action> completions)
    {
        _sessions.Remove(sessionId);
        _expired.Add(sessionId);
        foreach (var (name, l) in _locks)
        {
            l.Holders.RemoveAll(h => h.Session == sessionId);
            foreach (var w in l.Waiters.Where(w => w.Session == sessionId).ToList())
            {
                l.Waiters.Remove(w);
                Answer(w, new AcquireReply(ReplyStatus.SessionExpired, default, 0), completions);
            }

            Promote(name, l, completions);
        }
    }

    private void Tick()
    {
        var completions = new List<Action>();
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            foreach (var s in _sessions.Values.Where(s => s.RemainingMs(now, _time) <= 0).ToList())
            {
                Expire(s.Id, completions);
            }

            foreach (var (name, l) in _locks)
            {
                foreach (var w in l.Waiters.Where(w => now >= w.Deadline).ToList())
                {
                    l.Waiters.Remove(w);
                    Answer(w, new AcquireReply(ReplyStatus.TimedOut, default, 0), completions);
                }

                Promote(name, l, completions);
            }
        }

        completions.ForEach(c => c());
    }

    private sealed class Session(Guid id, long ttlMs, long renewedAt)
    {
        public Guid Id { get; } = id;

        public long TtlMs { get; } = ttlMs;

        public long RenewedAt { get; set; } = renewedAt;

        public long RemainingMs(long now, TimeProvider time) => TtlMs - (now - RenewedAt) * 1000 / time.TimestampFrequency;
    }

    private sealed record Holder(Guid Session, LockMode Mode, FencingToken Token, RequestId Request);

    private sealed class ClientRecord
    {
        public long AnsweredBelow { get; set; }

        public Dictionary<long, object> Answers { get; } = [];
    }

    private sealed class Waiter(int group, RequestId request, Guid session, LockMode mode, long deadline)
    {
        public int Group { get; } = group;

        public RequestId Request { get; } = request;

        public Guid Session { get; } = session;

        public LockMode Mode { get; } = mode;

        public long Deadline { get; } = deadline;

        public TaskCompletionSource<AcquireReply>? Poll { get; set; }
    }

    private sealed class Lock
    {
        public List<Holder> Holders { get; } = [];

        public List<Waiter> Waiters { get; } = [];

        public FencingToken Highest { get; set; }

        public bool CanGrant(LockMode mode) =>
            Holders.Count == 0 || (mode == LockMode.Shared && Holders.All(h => h.Mode == LockMode.Shared));
    }
}
