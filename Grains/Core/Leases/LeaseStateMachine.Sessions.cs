namespace LockService.Leases;

/// <summary>Sessions: opening, renewal and expiry by ticks, and ending (close or expiry).</summary>
public sealed partial class LeaseStateMachine
{
    private LeaseResult ApplyOpenSession(OpenSession open, ClientRecord? client)
    {
        if (open.TtlMs < _limits.MinTtlMs || open.TtlMs > _limits.MaxTtlMs)
        {
            return new Rejected(
                RejectionCode.InvalidTtl,
                $"A session TTL must be between {_limits.MinTtlMs} ms and {_limits.MaxTtlMs} ms; got {open.TtlMs} ms.");
        }

        if (open.Session.Value == UInt128.Zero || open.ClockMs is < 0 or > MaxClockMs)
        {
            return new Rejected(RejectionCode.InvalidArgument, "A session id must be 128 random bits, not zero, and the clock within 0..2^61 ms.");
        }

        if (_sessions.ContainsKey(open.Session))
        {
            return new Rejected(RejectionCode.SessionExists, $"Session id {open.Session} is taken: propose a new random id.");
        }

        if (_sessions.Count >= _limits.MaxSessions)
        {
            return LimitExceeded(LeaseLimit.SessionsPerGroup, _limits.MaxSessions, "open sessions in this lock group; close unused sessions or add groups");
        }

        if (client is not null && client.SessionCount >= _limits.MaxSessionsPerClient)
        {
            return LimitExceeded(LeaseLimit.SessionsPerClient, _limits.MaxSessionsPerClient, "sessions per client");
        }

        if (client is null)
        {
            client = new ClientRecord(open.Request.Client) { AnsweredBelow = open.AnsweredBelow };
            _clients.Add(client.Id, client);
            _clientOrder.Add(client);
        }

        // The proposer's clock: the first renewal point is not earlier than the client's request.
        _clockMs = Math.Max(_clockMs, open.ClockMs);
        var session = new SessionState(open.Session, client, open.TtlMs, _clockMs);
        _sessions.Add(session.Id, session);
        _sessionOrder.Add(session);
        client.SessionCount++;
        _deadlines.Push(new Deadline(session.DeadlineMs, DeadlineKind.Session, session));
        return new SessionOpened(session.Id);
    }

    private LeaseResult ApplyCloseSession(CloseSession close)
    {
        if (!_sessions.TryGetValue(close.Session, out var session))
        {
            return Done.Instance; // Closing is idempotent: the session is not open afterwards.
        }

        if (session.Client.Id != close.Request.Client)
        {
            return UnknownSession(close.Session);
        }

        EndSession(session, expired: false);
        PromoteTouched();
        return Done.Instance;
    }

    /// <summary>
    /// Advances the clock, applies renewals, then ends whatever came due: sessions first (all of them, so that no
    /// promotion in this step can pick a waiter of a session that expires in the same step), then waits, then
    /// lock-delays; finally promotes waiters on every lock that changed.
    /// </summary>
    private LeaseResult ApplyTick(Tick tick)
    {
        _clockMs = Math.Max(_clockMs, Math.Min(tick.ClockMs, MaxClockMs)); // capped: deadlines never overflow
        foreach (var id in tick.Renewals)
        {
            if (_sessions.TryGetValue(id, out var session))
            {
                Renew(session);
            }
        }

        CollectDue();
        foreach (var session in _dueSessions)
        {
            session.Alive = false;
        }

        foreach (var session in _dueSessions)
        {
            EndSession(session, expired: true);
        }

        var expiredWaits = 0;
        foreach (var entry in _dueWaits)
        {
            if (entry.State == EntryState.Waiting)
            {
                Withdraw(entry, Busy.Instance);
                expiredWaits++;
            }
        }

        foreach (var lockState in _dueDelays)
        {
            // Over, unless a holder that expired in this same tick started a new delay. A lock whose delay is
            // still set is one whose delay no tick has ended yet.
            if (lockState.DelayUntilMs <= _clockMs)
            {
                lockState.DelayUntilMs = 0;
                Touch(lockState);
            }
        }

        TouchPendingPermits();
        PromoteTouched();
        var result = new Ticked(_clockMs, _dueSessions.Count, expiredWaits);
        _dueSessions.Clear();
        _dueWaits.Clear();
        _dueDelays.Clear();
        _deadlines.CompactIfWasteful(_sessions.Count + _waitDeadlines + _locks.Count, IsLive);
        return result;
    }

    private void Renew(SessionState session)
    {
        var before = session.DeadlineMs;
        session.LastRenewalMs = Math.Max(session.LastRenewalMs, _clockMs);
        if (session.DeadlineMs != before)
        {
            _deadlines.Push(new Deadline(session.DeadlineMs, DeadlineKind.Session, session));
        }
    }

    private void CollectDue()
    {
        while (_deadlines.TryPopDue(_clockMs, out var deadline))
        {
            if (!IsLive(deadline))
            {
                continue;
            }

            switch (deadline.Kind)
            {
                case DeadlineKind.Session:
                    _dueSessions.Add((SessionState)deadline.Target);
                    break;
                case DeadlineKind.Wait:
                    _dueWaits.Add((LockEntry)deadline.Target);
                    break;
                default:
                    _dueDelays.Add((LockState)deadline.Target);
                    break;
            }
        }
    }

    /// <summary>False for a deadline that a renewal, grant, withdrawal or removal has made moot.</summary>
    private bool IsLive(Deadline deadline) => deadline.Kind switch
    {
        DeadlineKind.Session => deadline.Target is SessionState { Alive: true } session && session.DeadlineMs == deadline.AtMs,
        DeadlineKind.Wait => deadline.Target is LockEntry { State: EntryState.Waiting } entry && entry.WaitUntilMs == deadline.AtMs,
        _ => deadline.Target is LockState lockState && lockState.DelayUntilMs == deadline.AtMs &&
             _locks.TryGetValue(lockState.Name, out var current) && ReferenceEquals(current, lockState),
    };

    /// <summary>
    /// Removes a session with all it holds and waits for. An expiry (not a close) starts the lock-delay each
    /// holder asked for. Locks are visited in creation order so that events come out the same on every replica.
    /// </summary>
    private void EndSession(SessionState session, bool expired)
    {
        session.Alive = false;
        _sessions.Remove(session.Id);
        _sessionOrder.Remove(session);

        for (var entry = session.FirstEntry; entry is not null; entry = entry.SessionNext)
        {
            _endedEntries.Add(entry);
        }

        if (_endedEntries.Count > 1)
        {
            _endedEntries.Sort(static (x, y) => x.Lock.Sequence.CompareTo(y.Lock.Sequence));
        }

        foreach (var entry in _endedEntries)
        {
            var lockState = entry.Lock;
            if (entry.State == EntryState.Holding)
            {
                lockState.RemoveHolder(entry);
                session.RemoveEntry(entry);
                session.HeldCount--;
                entry.State = EntryState.Gone;
                if (expired && entry.LockDelayMs > 0)
                {
                    StartLockDelay(lockState, _clockMs + entry.LockDelayMs);
                }

                Touch(lockState);
            }
            else
            {
                Withdraw(entry, UnknownSession(session.Id));
            }
        }

        _endedEntries.Clear();
        var client = session.Client;
        if (--client.SessionCount == 0)
        {
            _clients.Remove(client.Id);
            _clientOrder.Remove(client);
        }

        Emit(new SessionEnded(session.Id, client.Id, expired));
    }

    private void StartLockDelay(LockState lockState, long untilMs)
    {
        if (untilMs > lockState.DelayUntilMs)
        {
            lockState.DelayUntilMs = untilMs;
            _deadlines.Push(new Deadline(untilMs, DeadlineKind.LockDelay, lockState));
        }
    }
}
