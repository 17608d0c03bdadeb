using LockService.Client;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests.Properties;

/// <summary>
/// Turns abstract steps into commands against a harness and checks the properties after every step. Each
/// violated property throws with the step number, so a shrunk counterexample is readable.
/// </summary>
internal sealed class ScenarioRunner
{
    private readonly SessionId[] _sessionIds = new SessionId[Scenario.Slots];
    private readonly int[] _generation = new int[Scenario.Slots];
    private readonly List<(ClientCommand Command, LeaseResult Answer, int Epoch)> _applied = [];
    private readonly Dictionary<ClientId, int> _clientEpoch = [];
    private readonly Dictionary<string, (FencingToken Token, LockMode Mode)> _lastGrant = [];
    private readonly Dictionary<(string Lock, SessionId Session), FencingToken> _olderToken = [];
    private long _clockMs;
    private readonly Dictionary<SessionId, (long RenewedAtMs, long TtlMs)> _modelSessions = [];
    private long _modelClockMs;

    public ScenarioRunner(LeaseHarness harness)
    {
        Harness = harness;
        for (var slot = 0; slot < Scenario.Slots; slot++)
        {
            _sessionIds[slot] = SessionFor(slot, 0);
        }
    }

    public LeaseHarness Harness { get; }

    /// <summary>The commands applied, with their positions, for replaying on another machine.</summary>
    public List<(LeaseCommand Command, long Term, long Index, LeaseResult Answer)> Log { get; } = [];

    public static ClientId ClientOf(int slot) => LeaseHarness.Client(1 + (slot % 3));

    public static string LockName(int lockIndex) => lockIndex < Scenario.Locks ? $"lock/{lockIndex}" : $"sem/{lockIndex}";

    private static bool IsSemaphore(string name) => name.StartsWith("sem/", StringComparison.Ordinal);

    private static SessionId SessionFor(int slot, int generation) => new(((UInt128)(uint)(slot + 1) << 64) | (uint)generation);

    public void Run(IEnumerable<Step> steps)
    {
        var number = 0;
        foreach (var step in steps)
        {
            number++;
            try
            {
                RunStep(step);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidOperationException($"Step {number} ({step}) failed: {e.Message}", e);
            }
        }
    }

    private void RunStep(Step step)
    {
        var machine = Harness.Machine;
        if (step is NewTermStep)
        {
            Harness.NewTerm();
            return;
        }

        var command = ToCommand(step);
        if (command is null)
        {
            return;
        }

        var isDuplicate = step is DuplicateStep;
        var before = Observe(machine);
        var stateBefore = LeaseHarness.Snapshot(machine, includePosition: false);
        var stateBeforeWithoutAnswers = LeaseHarness.Snapshot(machine, includePosition: false, includeAnswers: false);
        var eventsBefore = Harness.Events.Count;

        // As the host does: the command travels as bytes.
        var decoded = LeaseCommandCodec.Decode(LeaseCommandCodec.Encode(command));
        Equal(command, decoded, "decode(encode(command)) is the command");
        var answer = Harness.Apply(decoded);
        Log.Add((command, Harness.Term, Harness.Index, answer));
        var events = Harness.Events.Skip(eventsBefore).ToList();
        var after = Observe(machine);
        machine.AssertConsistent();

        CheckMutualExclusion(after);
        CheckGrants(command, answer, events, before, after);
        CheckFifo(before, after, events);
        if (command is Tick)
        {
            CheckExpiryReleasesExactlyItsSessions(before, after, events);
        }

        CheckExpiryTimes(command, answer, events);

        if (isDuplicate)
        {
            var (original, expected, epoch) = _applied[^(((DuplicateStep)step).Back + 1)];
            if (epoch == _clientEpoch.GetValueOrDefault(original.Request.Client))
            {
                Equal(expected, answer, "a duplicate gets the remembered answer");
                Equal(stateBefore, LeaseHarness.Snapshot(machine, includePosition: false), "a duplicate changes nothing");
            }
        }
        else if (answer is Rejected)
        {
            Equal(stateBeforeWithoutAnswers, LeaseHarness.Snapshot(machine, includePosition: false, includeAnswers: false), "a rejected command changes nothing");
        }

        Track(command, answer, events, isDuplicate);
    }

    private LeaseCommand? ToCommand(Step step)
    {
        switch (step)
        {
            case OpenStep open:
                if (Harness.Machine.GetSession(_sessionIds[open.Slot]) is null)
                {
                    _sessionIds[open.Slot] = SessionFor(open.Slot, ++_generation[open.Slot]);
                }

                return new OpenSession(Harness.NextRequest(ClientOf(open.Slot)), 0, _sessionIds[open.Slot], open.TtlSeconds * 1_000L, _clockMs);
            case CloseStep close:
                return new CloseSession(Harness.NextRequest(ClientOf(close.Slot)), 0, _sessionIds[close.Slot]);
            case AcquireStep { Lock: >= Scenario.Locks } permit:
                // A permit; one acquire in four asks for another count (refused while the semaphore exists).
                return new Acquire(
                    Harness.NextRequest(ClientOf(permit.Slot)),
                    0,
                    _sessionIds[permit.Slot],
                    LockName(permit.Lock),
                    LockMode.Shared,
                    permit.WaitMs == 0 ? Acquire.NoWait : Harness.Machine.ClockMs + permit.WaitMs,
                    0,
                    permit.LockDelayMs == 0 ? Scenario.Permits : Scenario.Permits + 1);
            case AcquireStep acquire:
                return new Acquire(
                    Harness.NextRequest(ClientOf(acquire.Slot)),
                    0,
                    _sessionIds[acquire.Slot],
                    LockName(acquire.Lock),
                    acquire.Mode,
                    acquire.WaitMs == 0 ? Acquire.NoWait : Harness.Machine.ClockMs + acquire.WaitMs,
                    acquire.LockDelayMs);
            case ReleaseStep release:
                var name = LockName(release.Lock);
                var session = _sessionIds[release.Slot];
                var held = Harness.Machine.Describe(name)?.Holders.FirstOrDefault(h => h.Session == session)?.Token;
                var token = release.TokenChoice switch
                {
                    0 => held ?? new FencingToken(1, 1),
                    1 => _olderToken.GetValueOrDefault((name, session), new FencingToken(0, 1)),
                    _ => new FencingToken(Harness.Term, Harness.Index + 1_000),
                };
                return new Release(Harness.NextRequest(ClientOf(release.Slot)), 0, session, name, token);
            case CancelStep cancel:
                var waiting = Harness.Machine.Describe(LockName(cancel.Lock))?.Waiters.FirstOrDefault(w => w.Session == _sessionIds[cancel.Slot]);
                return new CancelWait(
                    Harness.NextRequest(ClientOf(cancel.Slot)), 0, _sessionIds[cancel.Slot], LockName(cancel.Lock), waiting?.Request.Sequence ?? 999_999);
            case TickStep tick:
                _clockMs += tick.AdvanceMs;
                var renewals = Enumerable.Range(0, Scenario.Slots).Where(slot => (tick.RenewMask & (1 << slot)) != 0).Select(slot => _sessionIds[slot]).ToArray();
                return new Tick(_clockMs, renewals);
            case DuplicateStep duplicate:
                return duplicate.Back < _applied.Count ? _applied[^(duplicate.Back + 1)].Command : null;
            default:
                throw new ArgumentOutOfRangeException(nameof(step));
        }
    }

    private void Track(LeaseCommand command, LeaseResult answer, List<LeaseEvent> events, bool isDuplicate)
    {
        // The remembered answer of a waiting Acquire follows its wait to the end.
        foreach (var resolved in events.OfType<WaitResolved>())
        {
            for (var i = 0; i < _applied.Count; i++)
            {
                if (_applied[i].Command.Request == resolved.Request && _applied[i].Command is Acquire)
                {
                    _applied[i] = _applied[i] with { Answer = resolved.Answer };
                }
            }
        }

        if (command is ClientCommand clientCommand && !isDuplicate)
        {
            _applied.Add((clientCommand, answer, _clientEpoch.GetValueOrDefault(clientCommand.Request.Client)));
        }

        // A client record ends with the client's last session: remembered answers end with it.
        foreach (var client in _applied.Select(a => a.Command.Request.Client).Distinct().ToList())
        {
            var hasSession = Enumerable.Range(0, Scenario.Slots)
                .Any(slot => ClientOf(slot) == client && Harness.Machine.GetSession(_sessionIds[slot]) is { Client: var c } && c == client);
            if (!hasSession)
            {
                _clientEpoch[client] = _clientEpoch.GetValueOrDefault(client) + 1;
            }
        }

        if (command is Release { } release && answer is Done)
        {
            _olderToken[(release.Lock, release.Session)] = release.Token;
        }
    }

    private static Dictionary<string, LockDescription> Observe(LeaseStateMachine machine)
    {
        var locks = new Dictionary<string, LockDescription>();
        for (var lockIndex = 0; lockIndex < Scenario.Locks + Scenario.Semaphores; lockIndex++)
        {
            if (machine.Describe(LockName(lockIndex)) is { } description)
            {
                locks[description.Name] = description;
            }
        }

        return locks;
    }

    private static void CheckMutualExclusion(Dictionary<string, LockDescription> locks)
    {
        foreach (var description in locks.Values)
        {
            var exclusive = description.Holders.Count(h => h.Mode == LockMode.Exclusive);
            True(exclusive == 0 || description.Holders.Count == 1, $"'{description.Name}' has two exclusive holders or exclusive with shared");
            True(description.MaxCount == 0 || description.Holders.Count <= description.MaxCount, $"semaphore '{description.Name}' has more than {description.MaxCount} holders");
        }
    }

    /// <summary>Every new holder carries the current position as token, higher than every earlier grant of the lock.</summary>
    private void CheckGrants(LeaseCommand command, LeaseResult answer, List<LeaseEvent> events, Dictionary<string, LockDescription> before, Dictionary<string, LockDescription> after)
    {
        var current = new FencingToken(Harness.Term, Harness.Index);
        foreach (var (name, now) in after)
        {
            var earlier = before.TryGetValue(name, out var was) ? was.Holders.Select(h => (h.Session, h.Token)).ToHashSet() : [];
            foreach (var holder in now.Holders.Where(h => !earlier.Contains((h.Session, h.Token))))
            {
                Equal(current, holder.Token, "a grant's token is the position of the granting entry");
                var wasWaiting = was?.Waiters.Any(w => w.Session == holder.Session) ?? false;
                True(wasWaiting || was is null || was.Waiters.Count == 0, $"'{name}' granted at once past {was?.Waiters.Count} waiters (barging)");
                True(events.OfType<WaitResolved>().Any(e => e.Session == holder.Session && e.Answer == new Granted(current)) ||
                     (command is Acquire acquire && acquire.Session == holder.Session && answer == new Granted(current)),
                    "every grant is announced by the answer or an event");
                if (_lastGrant.TryGetValue(name, out var last))
                {
                    True(holder.Token > last.Token || (holder.Token == last.Token && holder.Mode == LockMode.Shared && last.Mode == LockMode.Shared && !IsSemaphore(name)),
                        $"token {holder.Token} of '{name}' does not exceed the earlier grant {last.Token}");
                }

                _lastGrant[name] = (holder.Token, holder.Mode);
            }
        }
    }

    /// <summary>
    /// Waiters leave the queue only from the front (granted) or by withdrawal, and those left keep their order.
    /// </summary>
    private static void CheckFifo(Dictionary<string, LockDescription> before, Dictionary<string, LockDescription> after, List<LeaseEvent> events)
    {
        foreach (var (name, was) in before)
        {
            var granted = events.OfType<WaitResolved>().Where(e => e.Lock == name && e.Answer is Granted).Select(e => e.Request).ToList();
            var withdrawn = events.OfType<WaitResolved>().Where(e => e.Lock == name && e.Answer is not Granted).Select(e => e.Request).ToHashSet();
            var queue = was.Waiters.Select(w => w.Request).Where(r => !withdrawn.Contains(r)).ToList();
            Equal(queue.Take(granted.Count).ToList(), granted, $"waiters of '{name}' granted out of FIFO order");
            var remaining = after.TryGetValue(name, out var now) ? now.Waiters.Select(w => w.Request).ToList() : [];
            Equal(queue.Skip(granted.Count).ToList(), remaining.Take(queue.Count - granted.Count).ToList(), $"waiters of '{name}' reordered");
        }
    }

    /// <summary>
    /// When sessions expire, against a model kept apart from the state machine: the lease clock is the highest clock
    /// value any applied OpenSession or Tick carried; a session's renewal point is its open's clock, moved to the
    /// clock of each Tick that lists it; a Tick expires exactly the sessions whose renewal point plus TTL it reached
    /// (no earlier, no later), and nothing else ends a session but its close.
    /// </summary>
    private void CheckExpiryTimes(LeaseCommand command, LeaseResult answer, List<LeaseEvent> events)
    {
        switch (command)
        {
            // Opened now (a duplicate is applied afresh once its client's record is gone), not a remembered answer.
            case OpenSession open when answer is SessionOpened opened && !_modelSessions.ContainsKey(opened.Session) &&
                                       Harness.Machine.GetSession(opened.Session) is not null:
                _modelClockMs = Math.Max(_modelClockMs, open.ClockMs);
                _modelSessions[opened.Session] = (_modelClockMs, open.TtlMs);
                break;
            case CloseSession close when answer is Done && Harness.Machine.GetSession(close.Session) is null:
                _modelSessions.Remove(close.Session);
                break;
            case Tick tick:
                _modelClockMs = Math.Max(_modelClockMs, tick.ClockMs);
                foreach (var id in tick.Renewals)
                {
                    if (_modelSessions.TryGetValue(id, out var session))
                    {
                        _modelSessions[id] = (Math.Max(session.RenewedAtMs, _modelClockMs), session.TtlMs);
                    }
                }

                var due = _modelSessions.Where(s => s.Value.RenewedAtMs + s.Value.TtlMs <= _modelClockMs).Select(s => s.Key).ToHashSet();
                var expired = events.OfType<SessionEnded>().Where(e => e.Expired).Select(e => e.Session).ToHashSet();
                True(due.SetEquals(expired),
                    $"at lease clock {_modelClockMs} ms the sessions due are [{string.Join(", ", due)}] but the tick expired [{string.Join(", ", expired)}]");
                foreach (var id in due)
                {
                    _modelSessions.Remove(id);
                }

                break;
        }

        Equal(_modelClockMs, Harness.Machine.ClockMs, "the lease clock is the highest clock value applied");
        foreach (var (id, (renewedAtMs, ttlMs)) in _modelSessions)
        {
            var session = Harness.Machine.GetSession(id);
            True(session is not null && session.DeadlineMs == renewedAtMs + ttlMs,
                $"session {id} should live until {renewedAtMs + ttlMs} ms; the state machine says {session?.DeadlineMs.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "gone"}");
        }
    }

    /// <summary>A tick removes the holds and waits of the sessions it expires, and of no other session.</summary>
    private static void CheckExpiryReleasesExactlyItsSessions(Dictionary<string, LockDescription> before, Dictionary<string, LockDescription> after, List<LeaseEvent> events)
    {
        var expired = events.OfType<SessionEnded>().Where(e => e.Expired).Select(e => e.Session).ToHashSet();
        var timedOut = events.OfType<WaitResolved>().Where(e => e.Answer is Busy).Select(e => e.Request).ToHashSet();
        foreach (var (name, was) in before)
        {
            var now = after.GetValueOrDefault(name);
            var holdersNow = now?.Holders.Select(h => h.Session).ToHashSet() ?? [];
            var waitersNow = now?.Waiters.Select(w => w.Session).ToHashSet() ?? [];
            foreach (var holder in was.Holders)
            {
                True(expired.Contains(holder.Session) != holdersNow.Contains(holder.Session),
                    $"holder {holder.Session} of '{name}': expired={expired.Contains(holder.Session)} but still holding={holdersNow.Contains(holder.Session)}");
            }

            foreach (var waiter in was.Waiters)
            {
                var stays = waitersNow.Contains(waiter.Session) || holdersNow.Contains(waiter.Session);
                if (expired.Contains(waiter.Session))
                {
                    True(!stays, $"waiter {waiter.Session} of '{name}' survived its session's expiry");
                }
                else
                {
                    True(stays || timedOut.Contains(waiter.Request), $"waiter {waiter.Session} of '{name}' vanished without expiry or timeout");
                }
            }
        }
    }

    private static void True(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }

    private static string? Show(object? value) =>
        value is System.Collections.IEnumerable items and not string ? "[" + string.Join(", ", items.Cast<object>()) + "]" : value?.ToString();

    private static void Equal<T>(T expected, T actual, string what)
    {
        var same = expected is System.Collections.IEnumerable e && actual is System.Collections.IEnumerable a && expected is not string
            ? e.Cast<object>().SequenceEqual(a.Cast<object>())
            : EqualityComparer<T>.Default.Equals(expected, actual);
        True(same, $"{what}: expected {Show(expected)}, got {Show(actual)}");
    }
}
