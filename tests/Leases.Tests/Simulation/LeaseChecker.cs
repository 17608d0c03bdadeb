using System.Globalization;
using LockService.Client;
using LockService.Raft;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// The lease properties, checked against ground truth (real simulated time, what was really proposed, sent,
/// received and acknowledged), never against the lease clock's own bookkeeping:
/// <list type="bullet">
/// <item>Same state at the same applied index (the simulator compares hashes of the full snapshot bytes).</item>
/// <item>The committed lease clock never runs ahead of real time: for clock entries e1 before e2 in the log,
/// v2 − v1 ≤ p2 − p1 + 1 ms (p = real time of the proposal).</item>
/// <item>No early expiry: a session's expiry is applied no earlier than its client's own deadline
/// (<see cref="LeaseClock.ClientDeadline"/> from the send time of any acknowledged renewal, on the client's clock),
/// also for an acknowledgement that arrives after the expiry.</item>
/// <item>The committed lease clock never falls behind real time by more than the design allows (no inflation,
/// however many leader changes): at every Tick, for every live session renewed at lease time v1 by an entry
/// proposed at real time p1, v ≥ v1 + (1 − ε)²·(p − p1 − lost) − (k + 1) ms, where lost is the time lost by design
/// at the k leader changes since (<see cref="CountedMicros"/>); so a Tick that reaches v1 + ttl expires the session.</item>
/// <item>No inflation, the rest of the way (the host around the clock): a keepalive that reached a leader working
/// all along until its renewal is in a Tick proposed within <see cref="RenewalBoundMicros"/>; a session whose expiry
/// the clock bound makes due is expired by any leader that has been working without a break for
/// <see cref="ExpiryBoundMicros"/> since (<see cref="WorkingLeader"/>). With the clock bound this gives the
/// end-to-end bound of docs/SIMULATION.md.</item>
/// <item>Every acknowledged grant is committed and stays held until its release, close or expiry is applied; no
/// lock ever has an exclusive holder beside another holder in any applied state; grant tokens strictly increase
/// per lock; no two clients believe they hold conflicting grants of one lock at the same real time.</item>
/// <item>A client is told its session expired only if it has ended.</item>
/// </list>
/// </summary>
internal sealed class LeaseChecker(LeaseWorld world)
{
    private readonly Dictionary<(long Index, long Term), (long AtMicros, long ClockMs, int Proposer)> clockProposals = [];
    private readonly List<(long Index, long ProposedMicros, long ClockMs)> committedClocks = [];
    private readonly Dictionary<SessionId, Renewal> renewals = [];
    private readonly Dictionary<int, List<Observation>> observations = [];
    private readonly List<(long From, long To)> lostIntervals = [];
    private readonly List<(long From, long To)> noLeader = [];
    private readonly Dictionary<long, Queue<(long Index, long AtMicros)>> uncommittedByTerm = [];
    private readonly List<(ClientSession Session, long ByIndex, long AnsweredAt)> expiredAnswers = [];
    private readonly List<long> leaderChanges = [];
    private readonly Dictionary<RequestId, ClientSession> opens = [];
    private readonly Dictionary<SessionId, ClientSession> sessions = [];
    private readonly Dictionary<string, (FencingToken Token, LockMode Mode)> lastGrant = new(StringComparer.Ordinal);
    private readonly List<(ClientSession Session, string Lock, FencingToken Token)> liveGrants = [];
    private readonly List<Belief> beliefs = [];
    private readonly List<Stretch> stretches = [];
    private Stretch? working;
    private long globalApplied;
    private double minSkewMs = double.MaxValue;
    private long noLeaderSince; // no leader at the start

    public LeaseSimStats Stats { get; } = new();

    private long Now => world.Sim.NowMicros;

    private double Epsilon => world.Epsilon;

    /// <summary>
    /// A keepalive that reached a leader is listed in a Tick that leader proposes at its next tick, or, if four of
    /// its Ticks are not applied yet, at the next tick after the oldest is: T + C of working-leader time.
    /// </summary>
    public long RenewalBoundMicros => TickMicros + CommitSlackMicros;

    /// <summary>
    /// Once the clock bound makes a session's expiry due, the next Tick (proposed within T + C, as above) reaches it
    /// and is applied within C: T + 2C of working-leader time.
    /// </summary>
    public long ExpiryBoundMicros => TickMicros + 2 * CommitSlackMicros;

    /// <summary>T: a leader's tick period on the slowest clock allowed.</summary>
    private long TickMicros => (long)(world.Options.Raft.TickMicros / (1 - Epsilon));

    /// <summary>
    /// C: a working leader commits and applies what it proposes within this; while one of its proposals is older and
    /// still not applied on it (drops, long delays, slow writes, a follower catching up through a snapshot in small
    /// chunks), the leader does not count as working (<see cref="WorkingLeader"/>).
    /// </summary>
    public static long CommitSlackMicros => 250_000;

    // ---- Ground truth reported by hosts and clients ----

    public void OnProposed(LeaseHost host, ProposeResult result, LeaseCommand command)
    {
        if (!uncommittedByTerm.TryGetValue(result.Term, out var queue))
        {
            queue = new Queue<(long Index, long AtMicros)>();
            uncommittedByTerm[result.Term] = queue;
        }

        queue.Enqueue((result.Index, Now));
        switch (command)
        {
            case Tick tick:
                clockProposals[(result.Index, result.Term)] = (Now, tick.ClockMs, host.Id);
                Stats.Ticks++;
                break;
            case OpenSession open:
                clockProposals[(result.Index, result.Term)] = (Now, open.ClockMs, host.Id);
                break;
        }
    }

    /// <summary>A clock-carrying entry reached a replica's log (its write started), or a snapshot / restart set its clock.</summary>
    public void OnClockObserved(int replica, long index, bool fromSnapshot, long term = 0, long snapshotClockMs = 0)
    {
        var list = Observations(replica);
        if (fromSnapshot)
        {
            list.Clear();
        }
        else
        {
            OnLogTruncated(replica, index);
        }

        list.Add(new Observation(index, term, Now, fromSnapshot, snapshotClockMs));
    }

    public void OnLogTruncated(int replica, long firstRemoved)
    {
        var list = Observations(replica);
        while (list.Count > 0 && list[^1].Index >= firstRemoved && !list[^1].FromSnapshot)
        {
            list.RemoveAt(list.Count - 1);
        }
    }

    public void OnReplicaDown(int replica) => Observations(replica).Clear();

    /// <summary>
    /// A replica became leader. Its lease clock may lose, by design, the time between the proposal of its base entry
    /// (the last clock entry of its log) and that entry's arrival here (or its reload after a restart, or the
    /// install of the snapshot holding it): recorded as a lost interval.
    /// </summary>
    public void OnBecameLeader(LeaseHost host, long term)
    {
        leaderChanges.Add(Now);
        Stats.LeaderChanges++;
        var list = Observations(host.Id);
        if (list.Count == 0)
        {
            return;
        }

        var baseEntry = list[^1];
        long proposedAt;
        if (baseEntry.FromSnapshot)
        {
            // A snapshot carries the applied clock, which is the value of the last clock entry that was applied: a
            // refused or repeated OpenSession carries a value but does not move the clock.
            var last = committedClocks.FindLast(c => c.Index <= baseEntry.Index && c.ClockMs <= baseEntry.SnapshotClockMs);
            if (last.Index == 0)
            {
                return;
            }

            proposedAt = last.ProposedMicros;
        }
        else if (clockProposals.TryGetValue((baseEntry.Index, baseEntry.Term), out var proposal))
        {
            proposedAt = proposal.AtMicros;
        }
        else
        {
            throw new InvariantViolation($"replica {host.Id} holds clock entry {baseEntry.Index}@{baseEntry.Term} that no leader proposed");
        }

        if (baseEntry.ArrivedMicros > proposedAt)
        {
            lostIntervals.Add((proposedAt, baseEntry.ArrivedMicros));
            Stats.LargestBaseLossMicros = Math.Max(Stats.LargestBaseLossMicros, baseEntry.ArrivedMicros - proposedAt);
        }
    }

    public void OnOpenRequested(ClientSession session) => opens[session.OpenRequest] = session;

    /// <summary>The client received an acknowledgement of a renewal it sent at <paramref name="sentLocalMicros"/> (its clock).</summary>
    public void OnRenewalAcknowledged(ClientSession session, long sentLocalMicros)
    {
        session.Acknowledge(sentLocalMicros, Epsilon);
        Stats.RenewalsAcknowledged++;
        if (session.ExpiredMicros is { } expired && expired < session.DeadlineMicros)
        {
            throw new InvariantViolation(
                $"early expiry: {session} was expired at {Ms(expired)}, but a renewal acknowledged now gives its client a deadline of {Ms(session.DeadlineMicros)}");
        }
    }

    public void OnToldExpired(ClientSession session)
    {
        Stats.ToldExpired++;
        if (!session.Ended)
        {
            // The answer may come from state the current replicas have not applied yet: a stale duplicate of the
            // leader applies a committed entry first, and the checker follows only the current activations. So the
            // session's end must be in the applied sequence by the highest index any activation had applied when
            // the answer arrived (checked in OnApplied, and at the end of the run).
            expiredAnswers.Add((session, world.Hosts.Max(h => h.MaxAppliedIndex), Now));
        }
    }

    /// <summary>SessionExpired answers whose session has not ended in the applied sequence yet (see <see cref="OnToldExpired"/>).</summary>
    private void CheckExpiredAnswers(bool atEnd)
    {
        for (var i = expiredAnswers.Count - 1; i >= 0; i--)
        {
            var (session, byIndex, answeredAt) = expiredAnswers[i];
            if (session.Ended)
            {
                expiredAnswers.RemoveAt(i);
            }
            else if (globalApplied >= byIndex || atEnd)
            {
                throw new InvariantViolation(
                    $"{session} was answered SessionExpired at {Ms(answeredAt)}, but it has not ended (no expiry or close applied " +
                    $"{(atEnd ? "by the end of the run" : $"by index {byIndex}, the highest any activation had applied then")})");
            }
        }
    }

    /// <summary>The client received Granted(<paramref name="token"/>); <paramref name="used"/>: it will use the lock (not just release it).</summary>
    public void OnGrantAcknowledged(ClientSession session, string name, LockMode mode, FencingToken token, bool used)
    {
        Stats.GrantsAcknowledged++;
        var committed = world.Sim.Checker.CommittedTermAt(token.Index);
        if (committed != token.Term)
        {
            throw new InvariantViolation($"acknowledged grant lost: {session} was granted '{name}' with token {token}, but the committed term at {token.Index} is {committed}");
        }

        if (session.Ended)
        {
            return; // its expiry or close came before the answer; the client's own deadline governs its belief
        }

        liveGrants.Add((session, name, token));
        CheckLiveGrantsOnLatestState();
        if (!used)
        {
            return;
        }

        if (PermitsOf(name) is { } permits)
        {
            var believers = beliefs.Where(b => b.Lock == name && b.HeldAt(Now)).ToList();
            if (believers.Count >= permits)
            {
                throw new InvariantViolation(
                    $"more than {permits} permits: {session} now holds '{name}' (token {token}) while {string.Join(", ", believers.Select(b => $"{b.Session} ({b.Token})"))} still believe they hold one");
            }
        }

        foreach (var other in beliefs)
        {
            if (other.Lock == name && other.Session != session && other.HeldAt(Now) && (mode == LockMode.Exclusive || other.Mode == LockMode.Exclusive))
            {
                throw new InvariantViolation(
                    $"two holders: {session} now holds '{name}' ({mode}, token {token}) while {other.Session} still believes it holds it " +
                    $"({other.Mode}, token {other.Token}, its deadline {Ms(other.Session.DeadlineMicros)})");
            }
        }

        beliefs.RemoveAll(b => !b.HeldAt(Now));
        beliefs.Add(new Belief(session, name, mode, token));
    }

    public void OnReleaseSent(ClientSession session, string name, FencingToken token)
    {
        foreach (var belief in beliefs)
        {
            if (belief.Session == session && belief.Lock == name && belief.Token == token)
            {
                belief.ReleasedMicros ??= Now;
            }
        }
    }

    // ---- Applied entries ----

    public void OnApplied(LeaseHost host, SimReplica replica, in LogEntry entry)
    {
        PruneObservations(host.Id, entry.Index);
        if (entry.Index <= globalApplied)
        {
            return;
        }

        if (entry.Index != globalApplied + 1)
        {
            throw new InvariantViolation($"replica {replica.Id} applied {entry.Index} first, after {globalApplied}");
        }

        globalApplied = entry.Index;
        if (entry.Type == EntryType.Normal)
        {
            FirstApply(replica, entry);
        }

        CheckExpiredAnswers(atEnd: false);
    }

    /// <summary>Everything about an entry, checked once: when it is applied for the first time anywhere.</summary>
    private void FirstApply(SimReplica replica, in LogEntry entry)
    {
        var applier = (LeaseApplier)replica.Applier;
        var machine = applier.Machine;
        var command = applier.LastCommand!;
        var result = applier.LastResult!;
        Stats.CommandsApplied++;
        CheckSemaphoreCapacity(machine); // before the state's own consistency check: this one knows N from the workload
        machine.AssertConsistent(); // every replica reaches the same state at this index (the simulator compares hashes)

        if (LeaseCommandCodec.TryReadClock(entry.Data.Span, out var clockMs))
        {
            CheckClock(entry, clockMs);
        }

        if (command is Tick tick)
        {
            CheckClockKeepsUp(tick, applier.LastEvents, machine);
        }

        var position = new FencingToken(entry.Term, entry.Index);
        if (command is Acquire acquire && result is Granted granted && granted.Token == position)
        {
            OnGrantApplied(acquire.Lock, acquire.Mode, granted.Token, position);
        }

        if (command is OpenSession && result is SessionOpened opened && !sessions.ContainsKey(opened.Session))
        {
            if (opens.TryGetValue(command is OpenSession open ? open.Request : default, out var session))
            {
                session.Id ??= opened.Session;
                session.CreatedMicros = Now;
                sessions[opened.Session] = session;
                renewals[opened.Session] = RenewalPoint(machine, opened.Session);
                Stats.SessionsOpened++;
            }
        }

        if (command is Release release && result is Done)
        {
            liveGrants.RemoveAll(g => g.Session.Id == release.Session && g.Lock == release.Lock && g.Token == release.Token);
        }

        foreach (var leaseEvent in applier.LastEvents)
        {
            switch (leaseEvent)
            {
                case WaitResolved { Answer: Granted promoted } resolved:
                    var mode = machine.Describe(resolved.Lock)?.Holders.FirstOrDefault(h => h.Token == promoted.Token)?.Mode
                        ?? throw new InvariantViolation($"a waiter of '{resolved.Lock}' was granted {promoted.Token} but is not a holder");
                    OnGrantApplied(resolved.Lock, mode, promoted.Token, position);
                    break;
                case SessionEnded ended:
                    OnSessionEnded(ended);
                    break;
            }
        }

        CheckMutualExclusion(machine);
        CheckLiveGrants(machine);
    }

    /// <summary>The lease clock never runs ahead of real time: v − p ≤ min over earlier clock entries of (v₁ − p₁) + 1 ms.</summary>
    private void CheckClock(in LogEntry entry, long clockMs)
    {
        if (!clockProposals.TryGetValue((entry.Index, entry.Term), out var proposal))
        {
            throw new InvariantViolation($"clock entry {entry.Index}@{entry.Term} applied, but no leader proposed it");
        }

        var skew = clockMs - proposal.AtMicros / 1000.0;
        if (skew > minSkewMs + 1)
        {
            throw new InvariantViolation(
                $"the lease clock ran ahead of real time: entry {entry.Index}@{entry.Term} carries {clockMs} ms, proposed at {Ms(proposal.AtMicros)}; " +
                $"{skew - minSkewMs:F3} ms more than an earlier clock entry allows (1 ms of rounding is allowed)");
        }

        minSkewMs = Math.Min(minSkewMs, skew);
        committedClocks.Add((entry.Index, proposal.AtMicros, clockMs));
    }

    /// <summary>
    /// No inflation at the level of the clock: a Tick proposed at p with value v, for each live session it does not
    /// renew, renewed at (v1, p1): v ≥ v1 + (1 − ε)²·counted(p1, p) − (k + 1) ms (k leader changes since p1); and
    /// if v ≥ v1 + ttl the Tick expired the session. Then the renewal points of the sessions it renewed move, and
    /// each renewal is checked for promptness.
    /// </summary>
    private void CheckClockKeepsUp(Tick tick, IReadOnlyList<LeaseEvent> events, LeaseStateMachine machine)
    {
        var proposal = clockProposals[(machine.LastAppliedIndex, machine.LastAppliedTerm)];
        var proposedAt = proposal.AtMicros;
        var renewed = new HashSet<SessionId>(tick.Renewals);
        foreach (var (id, point) in renewals)
        {
            if (renewed.Contains(id) && machine.GetSession(id) is not null)
            {
                continue;
            }

            var changes = leaderChanges.Count(t => t > point.ProposedMicros && t <= proposedAt);
            var counted = CountedMicros(point.ProposedMicros, proposedAt, withoutLeader: false);
            var lowest = point.ClockMs + (1 - Epsilon) * (1 - Epsilon) * counted / 1000.0 - (changes + 1) - 0.01;
            var session = sessions[id];
            if (tick.ClockMs < lowest)
            {
                throw new InvariantViolation(
                    $"inflation: the lease clock fell behind: Tick {machine.LastAppliedIndex}@{machine.LastAppliedTerm} proposed at {Ms(proposedAt)} carries {tick.ClockMs} ms, " +
                    $"but {session}, renewed at {point.ClockMs} ms by an entry proposed at {Ms(point.ProposedMicros)}, needs at least {lowest:F3} ms " +
                    $"({Ms(counted)} counted since, {changes} leader changes, {Ms(proposedAt - point.ProposedMicros - counted)} lost by design)");
            }

            Stats.SmallestClockSlackMs = Math.Min(Stats.SmallestClockSlackMs, tick.ClockMs - lowest);
            if (tick.ClockMs >= point.ClockMs + session.TtlMs && !events.Any(e => e is SessionEnded { Expired: true } ended && ended.Session == id))
            {
                throw new InvariantViolation($"Tick {machine.LastAppliedIndex} reached {tick.ClockMs} ms but did not expire {session} (renewed at {point.ClockMs} ms)");
            }
        }

        foreach (var id in renewed)
        {
            if (renewals.ContainsKey(id) && machine.GetSession(id) is not null)
            {
                renewals[id] = RenewalPoint(machine, id);
                CheckRenewalPromptness(sessions[id], proposal.Proposer, machine.LastAppliedTerm, proposedAt);
            }
        }
    }

    /// <summary>
    /// If the proposer was a working leader all along from the arrival of the session's last renewing message to the
    /// proposal of the Tick renewing it, the delay is at most <see cref="RenewalBoundMicros"/> (a leader holding
    /// renewals back would extend sessions past their clients' last keepalive).
    /// </summary>
    private void CheckRenewalPromptness(ClientSession session, int proposer, long term, long proposedAt)
    {
        if (session.LastArrivalAt(proposer, proposedAt) is { } anyArrival)
        {
            Stats.LargestRenewalDelayAnyMicros = Math.Max(Stats.LargestRenewalDelayAnyMicros, proposedAt - anyArrival);
        }

        if (session.LastArrivalAt(proposer, proposedAt) is not { } arrival ||
            !stretches.Append(working).Any(w => w is not null && w.Leader == proposer && w.Term == term && w.From <= arrival && (w.To ?? Now) >= proposedAt))
        {
            return; // not working all along: not bounded
        }

        var delay = proposedAt - arrival;
        Stats.LargestRenewalDelayMicros = Math.Max(Stats.LargestRenewalDelayMicros, delay);
        if (delay > RenewalBoundMicros)
        {
            throw new InvariantViolation(
                $"inflation: {session}'s keepalive reached the working leader {proposer} at {Ms(arrival)} but its renewal was proposed only at {Ms(proposedAt)} " +
                $"({Ms(delay)} > {Ms(RenewalBoundMicros)})");
        }
    }

    /// <summary>A session's renewal point: its lease time (the applied clock) and when the entry that set that clock was proposed.</summary>
    private Renewal RenewalPoint(LeaseStateMachine machine, SessionId id)
    {
        var renewal = machine.GetSession(id)!.LastRenewalMs;
        var setter = committedClocks.FindLast(c => c.ClockMs == renewal);
        if (setter.Index == 0)
        {
            throw new InvariantViolation($"session {id} renewed at {renewal} ms, a value no committed clock entry carries");
        }

        return new Renewal(renewal, setter.ProposedMicros);
    }

    private void OnGrantApplied(string name, LockMode mode, FencingToken token, FencingToken position)
    {
        Stats.GrantsApplied++;
        Stats.PermitsApplied += PermitsOf(name) is null ? 0 : 1;
        if (token != position)
        {
            throw new InvariantViolation($"a grant of '{name}' applied at {position} carries token {token}");
        }

        // Shared grants of one entry may share its token; permits of a semaphore never do.
        if (lastGrant.TryGetValue(name, out var last) &&
            !(token > last.Token || (token == last.Token && mode == LockMode.Shared && last.Mode == LockMode.Shared && PermitsOf(name) is null)))
        {
            throw new InvariantViolation($"fencing token of '{name}' did not increase: {token} ({mode}) after {last.Token} ({last.Mode})");
        }

        lastGrant[name] = (token, mode);
    }

    private void OnSessionEnded(SessionEnded ended)
    {
        if (!sessions.TryGetValue(ended.Session, out var session))
        {
            throw new InvariantViolation($"session {ended.Session} ended, but no client's open created it");
        }

        liveGrants.RemoveAll(g => g.Session == session);
        renewals.Remove(ended.Session, out var renewal);
        if (!ended.Expired)
        {
            session.ClosedMicros = Now;
            return;
        }

        session.ExpiredMicros = Now;
        Stats.Expiries++;
        if (session.Client.Abandoned || session.IsOver)
        {
            Stats.ExpiriesOfStoppedSessions++;
        }

        world.Sim.Trace.Add(Now, -1, $"expired: {session}", $"deadline {Ms(session.DeadlineMicros)}, last renewing arrival {Ms(session.LastRenewingArrivalMicros)}");
        if (Now < session.DeadlineMicros)
        {
            throw new InvariantViolation($"early expiry: {session} was expired at {Ms(Now)}, before its client's own deadline {Ms(session.DeadlineMicros)}");
        }

        if (session.DeadlineMicros != long.MinValue)
        {
            Stats.SmallestExpiryMarginMicros = Math.Min(Stats.SmallestExpiryMarginMicros, Now - session.DeadlineMicros);
        }

        if (renewal?.DueSinceMicros is { } due && working is { } stretch)
        {
            Stats.LargestExpiryDelayMicros = Math.Max(Stats.LargestExpiryDelayMicros, Now - Math.Max(due, stretch.From));
        }

        // End to end, from the client's last renewing send: the life beyond ttl, and what remains of it once the time
        // lost by design and the time without a working leader are left out.
        var life = Now - session.LastRenewingSendMicros;
        Stats.LargestLifeBeyondTtlMicros = Math.Max(Stats.LargestLifeBeyondTtlMicros, life - session.TtlMs * 1000);
        Stats.LargestCountedLifeBeyondTtlMicros = Math.Max(
            Stats.LargestCountedLifeBeyondTtlMicros, CountedMicros(session.LastRenewingSendMicros, Now, withoutLeader: true) - session.TtlMs * 1000);
    }

    /// <summary>In the applied state: no exclusive holder beside another holder, for every lock.</summary>
    private static void CheckMutualExclusion(LeaseStateMachine machine)
    {
        foreach (var summary in machine.List("", limit: int.MaxValue).Locks)
        {
            var holders = machine.Describe(summary.Name)!.Holders;
            if (holders.Count > 1 && holders.Any(h => h.Mode == LockMode.Exclusive))
            {
                throw new InvariantViolation(
                    $"two holders of '{summary.Name}' in the applied state at {machine.LastAppliedIndex}: {string.Join(", ", holders.Select(h => $"{h.Session}/{h.Mode}/{h.Token}"))}");
            }
        }
    }

    /// <summary>The workload's semaphores are "sem/…" with <see cref="LeaseSimOptions.SemaphorePermits"/> permits each.</summary>
    private int? PermitsOf(string name) => name.StartsWith("sem/", StringComparison.Ordinal) ? world.Options.SemaphorePermits : null;

    /// <summary>In the applied state, at every index: never more than N holders of a semaphore, and it is one of N.</summary>
    private void CheckSemaphoreCapacity(LeaseStateMachine machine)
    {
        foreach (var summary in machine.List("sem/", limit: int.MaxValue).Locks)
        {
            var permits = world.Options.SemaphorePermits;
            if (summary.Holders > permits || summary.MaxCount != permits)
            {
                throw new InvariantViolation(
                    $"semaphore '{summary.Name}' of {permits} permits has {summary.Holders} holders (state says {summary.MaxCount} permits) at {machine.LastAppliedIndex}");
            }
        }
    }

    private void CheckLiveGrants(LeaseStateMachine machine)
    {
        foreach (var (session, name, token) in liveGrants)
        {
            // A grant answered by a stale activation (it applied an entry a majority holds) before any observed
            // replica applied it: checked once one does.
            if (token.Index > machine.LastAppliedIndex)
            {
                continue;
            }

            if (!machine.IsCurrent(name, token))
            {
                throw new InvariantViolation($"acknowledged grant lost: '{name}' token {token} of {session} is not held at {machine.LastAppliedIndex}, and no release, close or expiry of it was applied");
            }
        }
    }

    private void CheckLiveGrantsOnLatestState()
    {
        foreach (var replica in world.Sim.Replicas)
        {
            if (replica.IsUp && replica.AppliedIndex == globalApplied)
            {
                CheckLiveGrants(((LeaseApplier)replica.Applier).Machine);
                return;
            }
        }
    }

    // ---- After every step ----

    public void AfterStep()
    {
        var leader = WorkingLeader();
        if (working is { } current && (leader is null || leader.Id != current.Leader || leader.Node!.Term != current.Term))
        {
            current.To = Now;
            stretches.Add(current);
            working = null;
        }

        if (leader is not null && working is null)
        {
            working = new Stretch(Now, leader.Id, leader.Node!.Term);
        }

        if (leader is null && noLeaderSince < 0)
        {
            noLeaderSince = Now;
        }
        else if (leader is not null && noLeaderSince >= 0)
        {
            noLeader.Add((noLeaderSince, Now));
            Stats.LongestWithoutLeaderMicros = Math.Max(Stats.LongestWithoutLeaderMicros, Now - noLeaderSince);
            noLeaderSince = -1;
        }

        foreach (var (id, renewal) in renewals)
        {
            CheckExpiryPromptness(sessions[id], renewal);
        }
    }

    /// <summary>
    /// Once the clock bound says any Tick proposed now reaches the session's renewal point + ttl (its expiry is due),
    /// a leader that has been working without a break for <see cref="ExpiryBoundMicros"/> since then has expired it.
    /// </summary>
    private void CheckExpiryPromptness(ClientSession session, Renewal renewal)
    {
        if (Now - renewal.ProposedMicros < session.TtlMs * 1000)
        {
            renewal.DueSinceMicros = null;
            return;
        }

        var changes = leaderChanges.Count(t => t > renewal.ProposedMicros);
        var counted = CountedMicros(renewal.ProposedMicros, Now, withoutLeader: false);
        if ((1 - Epsilon) * (1 - Epsilon) * counted / 1000.0 - (changes + 1) < session.TtlMs)
        {
            renewal.DueSinceMicros = null; // not yet (or no longer: a later election revealed more time lost by design)
            return;
        }

        renewal.DueSinceMicros ??= Now;
        if (working is not { } stretch)
        {
            return;
        }

        var waited = Now - Math.Max(renewal.DueSinceMicros.Value, stretch.From);
        if (waited > ExpiryBoundMicros)
        {
            throw new InvariantViolation(
                $"inflation: {session}, renewed at {renewal.ClockMs} ms by an entry proposed at {Ms(renewal.ProposedMicros)}, is due since {Ms(renewal.DueSinceMicros.Value)} " +
                $"({Ms(counted)} counted since its renewal, {changes} leader changes, {Ms(Now - renewal.ProposedMicros - counted)} lost by design), " +
                $"but replica {stretch.Leader} has been a working leader for {Ms(waited)} since and has not expired it (> {Ms(ExpiryBoundMicros)})");
        }
    }

    /// <summary>
    /// Real time in [from, to] minus what the design does not count: for each leader change, the time between the
    /// proposal of the new leader's base entry and its arrival there (its replication delay, or a restart's
    /// downtime); with <paramref name="withoutLeader"/> also the time without a working leader (see
    /// <see cref="WorkingLeader"/>), during which nothing can commit.
    /// </summary>
    public long CountedMicros(long from, long to, bool withoutLeader)
    {
        var intervals = new List<(long From, long To)>();
        var uncounted = withoutLeader
            ? lostIntervals.Concat(noLeader).Append(noLeaderSince >= 0 ? (From: noLeaderSince, To: Now) : (From: 0L, To: 0L))
            : lostIntervals;
        foreach (var interval in uncounted)
        {
            var a = Math.Max(from, interval.From);
            var b = Math.Min(to, interval.To);
            if (b > a)
            {
                intervals.Add((a, b));
            }
        }

        intervals.Sort();
        long lost = 0;
        long coveredTo = from;
        foreach (var (a, b) in intervals)
        {
            var start = Math.Max(a, coveredTo);
            if (b > start)
            {
                lost += b - start;
                coveredTo = b;
            }
        }

        return to - from - lost;
    }

    /// <summary>
    /// The working leader, if any: the up replica leading in the highest term, not handing leadership over (it
    /// refuses proposals meanwhile), having applied an entry of its term, connected both ways to enough up replicas of no higher term to form a majority
    /// with itself, and committing: none of its proposals is older than C and still not applied on it.
    /// </summary>
    private SimReplica? WorkingLeader()
    {
        var sim = world.Sim;
        if (sim.CurrentLeader() is not { } leader || leader.Node!.LeadTransferee is not null || world.Hosts[leader.Id].IsPaused)
        {
            return null;
        }

        // Until it has applied an entry of its own term (its no-op, which only the Raft core proposes, so it is not in
        // uncommittedByTerm), a new leader can commit nothing, let alone expire a session: its no-op's appends may
        // have been lost, and it may not yet hold the entries that renewed the sessions (lease seed 6990 at 575057c).
        if (!leader.Node.Log.TryGetTerm(leader.AppliedIndex, out var appliedTerm) || appliedTerm != leader.Node.Term)
        {
            return null;
        }

        if (uncommittedByTerm.TryGetValue(leader.Node.Term, out var uncommitted))
        {
            while (uncommitted.Count > 0 && uncommitted.Peek().Index <= leader.AppliedIndex)
            {
                uncommitted.Dequeue();
            }

            if (uncommitted.Count > 0 && Now - uncommitted.Peek().AtMicros > CommitSlackMicros)
            {
                return null;
            }
        }

        var term = leader.Node!.Term;
        var reachable = 1;
        foreach (var replica in sim.Replicas)
        {
            if (replica != leader && replica.Node is { } node && node.Term <= term && !world.Hosts[replica.Id].IsPaused &&
                sim.CanSend(leader.Id, replica.Id) && sim.CanSend(replica.Id, leader.Id))
            {
                reachable++;
            }
        }

        return reachable > sim.Replicas.Count / 2 ? leader : null;
    }

    public void AtEnd()
    {
        CheckExpiredAnswers(atEnd: true);
        foreach (var session in sessions.Values)
        {
            if (!session.Ended && session.IsOver)
            {
                Stats.StoppedButAliveAtEnd++;
            }
        }
    }

    private List<Observation> Observations(int replica)
    {
        if (!observations.TryGetValue(replica, out var list))
        {
            list = [];
            observations[replica] = list;
        }

        return list;
    }

    /// <summary>As the lease clock does: keep the newest applied observation and everything after it.</summary>
    private void PruneObservations(int replica, long appliedIndex)
    {
        var list = Observations(replica);
        var lastApplied = -1;
        for (var i = 0; i < list.Count && list[i].Index <= appliedIndex; i++)
        {
            lastApplied = i;
        }

        if (lastApplied > 0)
        {
            list.RemoveRange(0, lastApplied);
        }
    }

    private static string Ms(long micros) => string.Create(CultureInfo.InvariantCulture, $"{micros / 1000.0:F3} ms");

    /// <summary>An uninterrupted stretch of time during which one leader (in one term) was working.</summary>
    private sealed record Stretch(long From, int Leader, long Term)
    {
        public long? To { get; set; }
    }

    private sealed class Renewal(long clockMs, long proposedMicros)
    {
        public long ClockMs { get; } = clockMs;

        public long ProposedMicros { get; } = proposedMicros;

        /// <summary>Since when the clock bound has made its expiry due (null: not due).</summary>
        public long? DueSinceMicros { get; set; }
    }

    private readonly record struct Observation(long Index, long Term, long ArrivedMicros, bool FromSnapshot, long SnapshotClockMs);

    private sealed class Belief(ClientSession session, string name, LockMode mode, FencingToken token)
    {
        public ClientSession Session { get; } = session;

        public string Lock { get; } = name;

        public LockMode Mode { get; } = mode;

        public FencingToken Token { get; } = token;

        public long? ReleasedMicros { get; set; }

        /// <summary>The client may use the lock until it sends the release, gives the session up, or its own deadline passes.</summary>
        public bool HeldAt(long now) =>
            now < Session.DeadlineMicros && (ReleasedMicros ?? long.MaxValue) > now && (Session.OverMicros ?? long.MaxValue) > now;
    }
}

internal sealed class LeaseSimStats
{
    public SimulationStats Raft { get; set; } = new();

    public long Ticks { get; set; }

    public long CommandsApplied { get; set; }

    public long SessionsOpened { get; set; }

    public long RenewalsAcknowledged { get; set; }

    public long GrantsApplied { get; set; }

    /// <summary>Grants of semaphore permits among <see cref="GrantsApplied"/>.</summary>
    public long PermitsApplied { get; set; }

    public long GrantsAcknowledged { get; set; }

    public long Expiries { get; set; }

    public long ExpiriesOfStoppedSessions { get; set; }

    public long ToldExpired { get; set; }

    public long LeaderChanges { get; set; }

    /// <summary>Client calls a follower's core passed on to the leader (<see cref="Replica.ForwardRequest"/>).</summary>
    public long CallsForwarded { get; set; }

    /// <summary>Forwarded calls whose leader answered NotLeader (deposed meanwhile): the reply goes back as it is, no second hop.</summary>
    public long ForwardsRefused { get; set; }

    public long StoppedButAliveAtEnd { get; set; }

    public long LargestBaseLossMicros { get; set; }

    public long LongestWithoutLeaderMicros { get; set; }

    /// <summary>Smallest (Tick value − the lowest value the clock lower bound allows) over all checks.</summary>
    public double SmallestClockSlackMs { get; set; } = double.MaxValue;

    /// <summary>Smallest (expiry − client's own deadline) over all expiries: how close the service came to early expiry.</summary>
    public long SmallestExpiryMarginMicros { get; set; } = long.MaxValue;

    /// <summary>Largest working-leader time from a keepalive's arrival at the leader to the proposal of its renewal.</summary>
    public long LargestRenewalDelayMicros { get; set; }

    /// <summary>The same whether or not the leader was working meanwhile.</summary>
    public long LargestRenewalDelayAnyMicros { get; set; }

    /// <summary>Largest working-leader time from the moment the clock bound made an expiry due to the expiry.</summary>
    public long LargestExpiryDelayMicros { get; set; }

    /// <summary>Largest (expiry − last renewing send − ttl), real time.</summary>
    public long LargestLifeBeyondTtlMicros { get; set; } = long.MinValue;

    /// <summary>The same, not counting time lost by design at leader changes and time without a working leader.</summary>
    public long LargestCountedLifeBeyondTtlMicros { get; set; } = long.MinValue;

    public override string ToString() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"steps={Raft.Steps} crashes={Raft.Crashes} leaders={LeaderChanges} ticks={Ticks} applied={CommandsApplied} sessions={SessionsOpened} " +
            $"renewals={RenewalsAcknowledged} grants={GrantsApplied}/{GrantsAcknowledged} permits={PermitsApplied} expiries={Expiries} (stopped {ExpiriesOfStoppedSessions}) " +
            $"toldExpired={ToldExpired} forwarded={CallsForwarded} (refused {ForwardsRefused}) baseLoss≤{LargestBaseLossMicros / 1000} ms noLeader≤{LongestWithoutLeaderMicros / 1000} ms " +
            $"clockSlack≥{SmallestClockSlackMs:F1} ms expiryMargin≥{SmallestExpiryMarginMicros / 1000} ms " +
            $"renewalDelay≤{LargestRenewalDelayMicros / 1000} ms (any {LargestRenewalDelayAnyMicros / 1000} ms) expiryDelay≤{LargestExpiryDelayMicros / 1000} ms " +
            $"lifeBeyondTtl≤{LargestLifeBeyondTtlMicros / 1000} ms (counted {LargestCountedLifeBeyondTtlMicros / 1000} ms)");
}
