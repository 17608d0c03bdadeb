using LockService.Client;

namespace LockService.Leases;

/// <summary>
/// The replicated lease state: sessions, locks with holders and FIFO waiters, exactly-once answers, and the lease
/// clock. Pure and deterministic: the same committed commands at the same (term, index) positions give every
/// replica the same state and answers. Time enters only as lease-clock values written by the leader.
/// Not thread-safe: the host applies one command at a time.
/// </summary>
public sealed partial class LeaseStateMachine
{
    /// <summary>Largest lease-clock value accepted from a client-bound command; deadlines above it cannot overflow.</summary>
    private const long MaxClockMs = 1L << 61;

    private readonly LeaseLimits _limits;
    private readonly Dictionary<SessionId, SessionState> _sessions = [];
    private readonly Dictionary<string, LockState> _locks = new(StringComparer.Ordinal);
    private readonly Dictionary<ClientId, ClientRecord> _clients = [];
    private readonly CreationOrder<ClientRecord> _clientOrder = new();
    private readonly CreationOrder<SessionState> _sessionOrder = new();
    private readonly CreationOrder<LockState> _lockOrder = new();
    private readonly DeadlineQueue _deadlines = new();

    // Scratch lists of one apply step, kept to avoid allocating per command.
    private readonly List<LockState> _touched = [];
    private readonly List<SessionState> _dueSessions = [];
    private readonly List<LockEntry> _dueWaits = [];
    private readonly List<LockState> _dueDelays = [];
    private readonly List<LockEntry> _endedEntries = [];

    private long _clockMs;
    private long _term;
    private long _index;
    private long _nextLockSequence;
    private int _waitDeadlines;
    private ICollection<LeaseEvent>? _events;

    public LeaseStateMachine(LeaseLimits? limits = null)
    {
        _limits = (limits ?? LeaseLimits.Default).Validated();
    }

    public LeaseLimits Limits => _limits;

    /// <summary>The lease clock: the highest clock value applied, in ms. Never decreases.</summary>
    public long ClockMs => _clockMs;

    /// <summary>Term of the last applied entry.</summary>
    public long LastAppliedTerm => _term;

    /// <summary>Index of the last applied entry.</summary>
    public long LastAppliedIndex => _index;

    public int SessionCount => _sessions.Count;

    public int LockCount => _locks.Count;

    public int ClientCount => _clients.Count;

    /// <summary>
    /// Applies one committed command found at (<paramref name="term"/>, <paramref name="index"/>) of the log and
    /// returns its answer. Positions must increase (NoOp entries may leave gaps); a grant's fencing token is this
    /// position, so tokens increase with the log. Other effects (waiters granted or dropped, sessions ended) are
    /// added to <paramref name="events"/> when given.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The position does not follow the last applied one.</exception>
    public LeaseResult Apply(LeaseCommand command, long term, long index, ICollection<LeaseEvent>? events = null)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (index <= _index || term < _term || index < 1 || term < 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(index),
                $"Entry ({term}, {index}) does not follow the last applied entry ({_term}, {_index}).");
        }

        _term = term;
        _index = index;
        _events = events;
        try
        {
            return command switch
            {
                Tick tick => ApplyTick(tick),
                ClientCommand clientCommand => ApplyClientCommand(clientCommand),
                ForceRelease forceRelease => ApplyForceRelease(forceRelease),
                _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
            };
        }
        finally
        {
            _events = null;
        }
    }

    /// <summary>Exactly-once (Raft dissertation §6.3): a known request gets its remembered answer.</summary>
    private LeaseResult ApplyClientCommand(ClientCommand command)
    {
        var sequence = command.Request.Sequence;
        if (_clients.TryGetValue(command.Request.Client, out var client))
        {
            client.Forget(command.AnsweredBelow);
            if (sequence < client.AnsweredBelow)
            {
                // A wait may last hours while its client sends thousands of other requests, so the client counts a
                // waiting Acquire as answered once it is queued (it would otherwise pin AnsweredBelow, and every
                // later answer of that client would be kept until MaxPendingRequestsPerClient refused them all).
                // The wait's re-issues are answered from the wait itself. Nothing is applied or remembered here.
                if (command is Acquire { WaitUntilMs: not Acquire.NoWait } wait)
                {
                    return AnswerFromWait(wait);
                }

                return new Rejected(
                    RejectionCode.AlreadyAnswered,
                    $"Request {command.Request} was already answered and acknowledged; this is a stale copy.");
            }

            if (client.Answers.TryGetValue(sequence, out var remembered))
            {
                // Answered from memory only for the same command: a reused request id must not fetch another's answer.
                return client.SameCommand(sequence, CommandFingerprint.Of(command))
                    ? remembered
                    : new Rejected(RejectionCode.InvalidArgument, $"Request {command.Request} was already used for a different command; use a new request id.");
            }

            if (client.Answers.Count >= _limits.MaxPendingRequestsPerClient)
            {
                return LimitExceeded(
                    LeaseLimit.PendingRequestsPerClient,
                    _limits.MaxPendingRequestsPerClient,
                    "unacknowledged requests per client; acknowledge answers (AnsweredBelow) before sending more");
            }
        }

        var answer = command switch
        {
            Acquire acquire => ApplyAcquire(acquire),
            Release release => ApplyRelease(release),
            CancelWait cancel => ApplyCancelWait(cancel),
            OpenSession open => ApplyOpenSession(open, client),
            CloseSession close => ApplyCloseSession(close),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };

        // The record may have been created (first session) or removed (last session closed) just now.
        if (_clients.TryGetValue(command.Request.Client, out client))
        {
            client.Remember(sequence, answer, CommandFingerprint.Of(command));
        }

        return answer;
    }

    private FencingToken CurrentToken => new(_term, _index);

    private bool TryGetSession(SessionId id, ClientId client, out SessionState session) =>
        _sessions.TryGetValue(id, out session!) && session.Client.Id == client;

    private static Rejected UnknownSession(SessionId id) =>
        new(RejectionCode.UnknownSession, $"Session {id} does not exist (it expired or was closed): open a new session.");

    private static Rejected LimitExceeded(LeaseLimit limit, long bound, string what) =>
        new(RejectionCode.LimitExceeded, limit, $"Limit of {bound} {what} reached.");

    private void Emit(LeaseEvent leaseEvent) => _events?.Add(leaseEvent);

    /// <summary>Marks a lock for promotion (and removal if idle) at the end of the apply step.</summary>
    private void Touch(LockState lockState)
    {
        if (!lockState.Touched)
        {
            lockState.Touched = true;
            _touched.Add(lockState);
        }
    }

    private void PromoteTouched()
    {
        // Index loop: promotion never touches further locks, but stay safe if it ever does.
        for (var i = 0; i < _touched.Count; i++)
        {
            var lockState = _touched[i];
            lockState.Touched = false;
            Promote(lockState);
            DeferPermitIfPending(lockState);
            RemoveIfUnused(lockState);
        }

        _touched.Clear();
    }

    private void RemoveIfUnused(LockState lockState)
    {
        if (lockState.IsIdle && lockState.DelayUntilMs <= _clockMs && _locks.Remove(lockState.Name))
        {
            _lockOrder.Remove(lockState);
            _semaphoreCount -= lockState.IsSemaphore ? 1 : 0;
        }
    }

    private LockState CreateLock(string name, int maxCount)
    {
        var lockState = new LockState(name, _nextLockSequence++, maxCount);
        _semaphoreCount += lockState.IsSemaphore ? 1 : 0;
        _locks.Add(name, lockState);
        _lockOrder.Add(lockState);
        return lockState;
    }
}
