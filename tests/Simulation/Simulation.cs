using System.Buffers.Binary;
using System.Globalization;
using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// A whole Raft group in one process under a seeded scheduler: a priority queue of timed events (clock ticks of each
/// replica, message deliveries, faults, client requests) processed one at a time, with every invariant checked after
/// each step. Everything random comes from one <see cref="Random"/> seeded with <see cref="Seed"/>, so a run replays
/// exactly. During the chaos phase the network drops, delays, duplicates and reorders messages, partitions (also
/// asymmetrically) and heals, and replicas crash and restart from their durable state. Then the network goes quiet for
/// a random majority and a leader must commit a fresh proposal on all of it in bounded time (liveness).
/// </summary>
public sealed class Simulation
{
    private readonly PriorityQueue<SimEvent, (long Time, long Sequence)> events = new();
    private readonly Func<int, IReplicaApplier> applierFactory;
    private readonly SimReplica[] replicas;
    private readonly bool[,] blocked;
    private long sequence;
    private long nextCommandId;
    private long nextReadId;
    private bool quiet;
    private long quietSinceMicros;
    private long faultsHeldUntilMicros;
    private bool[] inMajority = [];
    private Marker? marker;
    private long livenessReachedAtMicros = -1;

    public Simulation(
        int seed,
        SimulationOptions options,
        Func<int, IReplicaApplier>? applierFactory = null,
        Func<int, ReplicaHost>? hostFactory = null)
    {
        Seed = seed;
        Options = options;
        Random = new Random(seed);
        Trace = new TraceLog(options.TraceLength);
        this.applierFactory = applierFactory ?? (_ => new HashingApplier());
        var voters = Enumerable.Range(0, options.Replicas).ToArray();
        replicas = new SimReplica[options.Replicas];
        for (var id = 0; id < replicas.Length; id++)
        {
            var drift = (Random.NextDouble() * 2 - 1) * options.MaxClockDrift;
            var clock = new VirtualClock(() => NowMicros, 1 + drift, Random.NextInt64(1_000_000_000));
            var config = options.Raft with { Id = id, Voters = voters };
            replicas[id] = new SimReplica(this, id, config, this.applierFactory(id), hostFactory?.Invoke(id) ?? new ReplicaHost(), clock);
        }

        blocked = new bool[replicas.Length, replicas.Length];
        Checker = new InvariantChecker(replicas);
    }

    public int Seed { get; }

    public SimulationOptions Options { get; }

    /// <summary>The scheduler's random source; hosts may draw from it to stay deterministic.</summary>
    public Random Random { get; }

    public long NowMicros { get; private set; }

    public IReadOnlyList<SimReplica> Replicas => replicas;

    public InvariantChecker Checker { get; }

    public TraceLog Trace { get; }

    public SimulationStats Stats { get; } = new();

    /// <summary>Extra checks run after every step (after the Raft invariants); throw <see cref="InvariantViolation"/> to fail.</summary>
    public Action<Simulation>? AfterEachStep { get; set; }

    /// <summary>
    /// Makes the fresh command whose commit on the connected majority proves liveness at the end (default: random
    /// bytes). A host whose state machine decodes every entry supplies a harmless command of its own.
    /// </summary>
    public Func<byte[]>? LivenessCommand { get; set; }

    /// <summary>The chaos is over: the network neither drops, duplicates nor delays long, and nothing crashes.</summary>
    public bool IsQuiet => quiet;

    /// <summary>Whether messages from <paramref name="from"/> to <paramref name="to"/> get through (not cut by a partition).</summary>
    public bool CanSend(int from, int to) => !blocked[from, to];

    /// <summary>Runs <paramref name="action"/> as its own step at global time <paramref name="atMicros"/> (at least now).</summary>
    public void At(long atMicros, Action action) =>
        Schedule(Math.Max(NowMicros, atMicros), new SimEvent(EventKind.Action, Action: action));

    /// <summary>Runs <paramref name="action"/> as its own step after <paramref name="delayMicros"/>.</summary>
    public void After(long delayMicros, Action action) => At(NowMicros + Math.Max(0, delayMicros), action);

    /// <summary>Runs to the end of the liveness phase; throws <see cref="SimulationFailedException"/> on any violation.</summary>
    public SimulationStats Run()
    {
        try
        {
            foreach (var replica in replicas)
            {
                Start(replica, firstTickWithinMicros: Options.TickMicros);
            }

            if (Options.Partitions || Options.Crashes)
            {
                ScheduleAfter(Options.MeanFaultIntervalMicros, new SimEvent(EventKind.Fault));
            }

            ScheduleAfter(Options.MeanProposalIntervalMicros, new SimEvent(EventKind.Propose));
            ScheduleAfter(Options.MeanReadIntervalMicros, new SimEvent(EventKind.Read));
            ScheduleAfter(Options.MeanTransferIntervalMicros, new SimEvent(EventKind.Transfer));
            Schedule(Options.ChaosMicros, new SimEvent(EventKind.Quiet));

            while (events.TryDequeue(out var next, out var at))
            {
                NowMicros = at.Time;
                if (livenessReachedAtMicros >= 0 && NowMicros > livenessReachedAtMicros + Options.DrainMicros)
                {
                    return Stats;
                }

                if (quiet && livenessReachedAtMicros < 0 && NowMicros - quietSinceMicros > Options.LivenessMicros)
                {
                    throw new InvariantViolation(
                        $"liveness: no proposal committed on the connected majority within {Options.LivenessMicros / 1000} ms of quiet " +
                        $"({string.Join("; ", replicas.Select(r => r.ToString()))})");
                }

                if (Stats.Steps >= Options.MaxSteps)
                {
                    throw new InvariantViolation(
                        $"storm: {Stats.Steps} steps by {NowMicros / 1000} ms without the run ending (the budget is {Options.MaxSteps}); " +
                        $"something multiplies: {events.Count} events pending");
                }

                Handle(next);
                ProcessReadies();
                Checker.AfterStep();
                AfterEachStep?.Invoke(this);
                Stats.Steps++;
                if (quiet && livenessReachedAtMicros < 0 && LivenessReached())
                {
                    Stats.LivenessMicros = NowMicros - quietSinceMicros;
                    livenessReachedAtMicros = NowMicros;
                }

                Stats.LeadersElected = Checker.LeadersElected;
                Stats.HighestCommitted = Checker.HighestCommitted;
                if (livenessReachedAtMicros >= 0 && Options.DrainMicros <= 0)
                {
                    return Stats;
                }
            }

            throw new InvariantViolation("the event queue ran dry");
        }
        catch (InvariantViolation violation)
        {
            throw new SimulationFailedException(Seed, violation.Message, Trace.Format(), ReplayCommand);
        }
        catch (Exception exception) when (exception is not SimulationFailedException)
        {
            throw new SimulationFailedException(Seed, $"{exception.GetType().Name}: {exception.Message}", Trace.Format(), ReplayCommand, exception);
        }
    }

    private string ReplayCommand => string.Format(CultureInfo.InvariantCulture, Options.ReplayCommand, Seed);

    /// <summary>Sends a message through the simulated network (faults applied); used for every Raft message.</summary>
    public void Send(RaftMessage message)
    {
        Stats.MessagesSent++;
        if (blocked[message.From, message.To] || (!quiet && Random.NextDouble() < Options.DropRate))
        {
            Trace.Add(NowMicros, message.From, "drop", message);
            return;
        }

        var encoded = Options.UseCodec ? RaftCodec.EncodeMessage(message) : null;
        var copies = !quiet && Random.NextDouble() < Options.DuplicateRate ? 2 : 1;
        for (var copy = 0; copy < copies; copy++)
        {
            var latency = Options.MinLatencyMicros + Random.NextInt64(Options.MaxLatencyMicros - Options.MinLatencyMicros + 1);
            if (!quiet && Random.NextDouble() < Options.LongDelayRate)
            {
                latency += Random.NextInt64(Options.LongDelayMaxMicros);
            }

            ScheduleAfterExactly(latency, new SimEvent(EventKind.Deliver, message.To, 0, message, encoded));
        }
    }

    /// <summary>Proposes on a replica's node and records it in the trace (hosts use this too).</summary>
    public ProposeResult Propose(SimReplica replica, ReadOnlySpan<ReadOnlyMemory<byte>> commands)
    {
        var result = replica.Node!.Propose(commands);
        Trace.Add(NowMicros, replica.Id, $"propose x{commands.Length}", result);
        Stats.ProposalsAccepted += result.IsAccepted ? commands.Length : 0;
        Stats.ProposalsOverloaded += result.Status == ProposeStatus.Overloaded ? 1 : 0;
        return result;
    }

    /// <summary>The up replica that is leader in the highest term, if any.</summary>
    public SimReplica? CurrentLeader()
    {
        SimReplica? leader = null;
        foreach (var replica in replicas)
        {
            if (replica.Node is { Role: RaftRole.Leader } node && (leader is null || node.Term > leader.Node!.Term))
            {
                leader = replica;
            }
        }

        return leader;
    }

    private void Handle(SimEvent next)
    {
        switch (next.Kind)
        {
            case EventKind.Tick:
                OnTick(replicas[next.Replica], next.Incarnation);
                break;
            case EventKind.Deliver:
                Deliver(next);
                break;
            case EventKind.Fault when !quiet:
                if (NowMicros >= faultsHeldUntilMicros)
                {
                    InjectFault();
                }

                ScheduleAfter(Options.MeanFaultIntervalMicros, next);
                break;
            case EventKind.Restart:
                var replica = replicas[next.Replica];
                if (!replica.IsUp && replica.Incarnation == next.Incarnation && (!quiet || inMajority[replica.Id]))
                {
                    Start(replica, firstTickWithinMicros: 0);
                }

                break;
            case EventKind.Propose:
                ProposeSomething();
                ScheduleAfter(Options.MeanProposalIntervalMicros, next);
                break;
            case EventKind.Read:
                ReadSomething();
                ScheduleAfter(Options.MeanReadIntervalMicros, next);
                break;
            case EventKind.Transfer when !quiet:
                if (CurrentLeader() is { } leader)
                {
                    var target = Random.Next(replicas.Length);
                    Trace.Add(NowMicros, leader.Id, $"transfer leadership to {target}", leader.Host.TransferLeadership(leader, target));
                }

                ScheduleAfter(Options.MeanTransferIntervalMicros, next);
                break;
            case EventKind.Quiet:
                BeginQuiet();
                break;
            case EventKind.Persisted:
                OnPersisted(replicas[next.Replica], next.Incarnation);
                break;
            case EventKind.Action:
                next.Action!();
                break;
        }
    }

    private void OnTick(SimReplica replica, int incarnation)
    {
        if (replica.Node is not { } node || replica.Incarnation != incarnation)
        {
            return;
        }

        if (!replica.Host.DrivesNode)
        {
            node.Tick();
        }

        replica.Host.OnTick(replica);
        replica.NextLocalTickMicros += Options.TickMicros;
        ScheduleTick(replica);
        if (replica.Node is { Role: RaftRole.Leader } && CurrentLeader() != replica)
        {
            // A deposed leader that does not know it yet: clients with a stale leader cache keep asking it, so every
            // one of its ticks brings a read (the window is short, and it is where a weakened read quorum shows).
            ReadAt(replica);
        }
    }

    private void Deliver(SimEvent delivery)
    {
        var message = delivery.Message!;
        var replica = replicas[message.To];
        if (replica.Node is not { } node || blocked[message.From, message.To])
        {
            Trace.Add(NowMicros, message.To, replica.IsUp ? "lost (partition)" : "lost (down)", message);
            return;
        }

        if (delivery.Encoded is { } bytes)
        {
            message = RaftCodec.DecodeMessage(bytes);
        }

        Stats.MessagesDelivered++;
        Trace.Add(NowMicros, message.To, "step", message);
        if (replica.Host.DrivesNode)
        {
            replica.Host.OnMessage(replica, message);
        }
        else
        {
            node.Step(message);
        }
    }

    private void ProcessReadies()
    {
        foreach (var replica in replicas)
        {
            ProcessReady(replica);
        }
    }

    /// <summary>
    /// The host loop of the contract in <see cref="Ready"/>: send the early messages, persist (taking simulated
    /// time, during which the node keeps stepping messages), send the rest, apply, advance.
    /// </summary>
    private void ProcessReady(SimReplica replica)
    {
        var node = replica.Node;
        if (replica.Host.DrivesNode)
        {
            return; // the host drains its node itself
        }

        while (node is not null && replica.Node == node && replica.PendingReady is null && node.HasReady)
        {
            Checker.Observe(replica);
            var ready = node.GetReady();
            replica.Host.OnReady(replica, ready);
            if (replica.Node != node)
            {
                return; // the host's hook crashed the replica
            }

            foreach (var message in ready.MessagesBeforePersist)
            {
                Send(message);
            }

            if (ready.MustPersist && Options.MaxPersistMicros > 0)
            {
                replica.PendingReady = ready;
                ScheduleAfterExactly(1 + Random.NextInt64(Options.MaxPersistMicros), new SimEvent(EventKind.Persisted, replica.Id, replica.Incarnation));
                return;
            }

            CompleteReady(replica, node, ready);
        }
    }

    private void OnPersisted(SimReplica replica, int incarnation)
    {
        if (replica.Incarnation == incarnation && replica.PendingReady is { } ready && replica.Node is { } node)
        {
            replica.PendingReady = null;
            CompleteReady(replica, node, ready);
        }
    }

    private void CompleteReady(SimReplica replica, RaftNode node, Ready ready)
    {
        if (ready.MustPersist && !quiet && Options.CrashDuringReadyRate > 0 && Random.NextDouble() < Options.CrashDuringReadyRate)
        {
            Crash(replica, "crash before persisting a ready");
            return;
        }

        replica.Durable.Persist(ready);
        Checker.OnPersist(replica, ready);
        foreach (var message in ready.MessagesAfterPersist)
        {
            Send(message);
        }

        if (ready.Snapshot is { } snapshot)
        {
            replica.Applier.Restore(snapshot.Data);
            replica.AppliedIndex = snapshot.Metadata.LastIncludedIndex;
            Checker.OnRestored(replica, replica.AppliedIndex);
            Stats.SnapshotsInstalled++;
            Trace.Add(NowMicros, replica.Id, "install", snapshot);
            replica.Host.OnSnapshotInstalled(replica, snapshot);
        }

        foreach (ref readonly var entry in ready.CommittedEntries.Span)
        {
            if (entry.Index != replica.AppliedIndex + 1)
            {
                throw new InvariantViolation($"replica {replica.Id} was handed {entry} to apply after {replica.AppliedIndex}");
            }

            replica.Applier.Apply(entry);
            replica.AppliedIndex = entry.Index;
            Checker.OnApplied(replica, entry);
            replica.Host.OnApplied(replica, entry);
        }

        if (ready.SoftState is { } softState)
        {
            Trace.Add(NowMicros, replica.Id, "soft state", softState);
            replica.Host.OnSoftStateChanged(replica, softState);
        }

        foreach (var read in ready.ReadStates)
        {
            Checker.OnReadState(replica, read);
            Stats.ReadsServed++;
            replica.Host.OnReadState(replica, read);
        }

        node.Advance(ready);
        MaybeCompact(replica, node);
    }

    private void MaybeCompact(SimReplica replica, RaftNode node)
    {
        var every = Options.CompactEveryEntries;
        if (every > 0 && replica.AppliedIndex - node.SnapshotIndex >= every && node.AppliedIndex == replica.AppliedIndex)
        {
            node.Compact(replica.AppliedIndex, replica.Applier.TakeSnapshot());
            replica.Durable.Compact(node.Log.Snapshot!);
            Trace.Add(NowMicros, replica.Id, "compact", node.Log.Snapshot);
        }
    }

    private void Start(SimReplica replica, long firstTickWithinMicros)
    {
        replica.Applier = applierFactory(replica.Id);
        replica.AppliedIndex = 0;
        var node = replica.Host.DrivesNode
            ? replica.Host.Start(replica, new Random(Random.Next()))
            : RaftNode.Restart(replica.Config, new Random(Random.Next()), replica.Durable.ToPersistedState());
        replica.Node = node;
        if (replica.Durable.Snapshot is { } snapshot)
        {
            if (!replica.Host.DrivesNode)
            {
                replica.Applier.Restore(snapshot.Data);
            }

            replica.AppliedIndex = snapshot.Metadata.LastIncludedIndex;
            Checker.OnRestored(replica, replica.AppliedIndex);
        }

        replica.NextLocalTickMicros = replica.Clock.NowMicros + 1 + (firstTickWithinMicros > 0 ? Random.NextInt64(firstTickWithinMicros) : Options.TickMicros);
        ScheduleTick(replica);
        Trace.Add(NowMicros, replica.Id, "start", node);
        replica.Host.OnStart(replica);
    }

    /// <summary>Crashes a replica now (a host's fault, e.g. during a write); it restarts later from its durable store.</summary>
    public void Crash(SimReplica replica, string why)
    {
        Trace.Add(NowMicros, replica.Id, why, replica.Node);
        replica.Host.OnCrash(replica);
        replica.Node = null;
        replica.PendingReady = null;
        replica.Incarnation++;
        Checker.OnCrash(replica);
        Stats.Crashes++;
        if (!quiet)
        {
            ScheduleAfterExactly(
                50_000 + Random.NextInt64(Options.MaxDowntimeMicros),
                new SimEvent(EventKind.Restart, replica.Id, replica.Incarnation));
        }
    }

    private void InjectFault()
    {
        var roll = Random.Next(100);
        if (Options.Partitions && roll < 20)
        {
            var side = Enumerable.Range(0, replicas.Length).Select(_ => Random.Next(2) == 0).ToArray();
            Split(side);

            Trace.Add(NowMicros, -1, $"partition [{string.Join(",", side.Select(s => s ? 1 : 0))}]");
        }
        else if (Options.Partitions && roll < 33)
        {
            for (var a = 0; a < replicas.Length; a++)
            {
                for (var b = 0; b < replicas.Length; b++)
                {
                    blocked[a, b] = a != b && Random.Next(10) < 3;
                }
            }

            Trace.Add(NowMicros, -1, "asymmetric partition");
        }
        else if (Options.Partitions && roll < 38)
        {
            var victim = PickVictim(replicas);
            Isolate(victim.Id);
            Trace.Add(NowMicros, victim.Id, "isolated");
        }
        else if (Options.Partitions && roll < 45)
        {
            Bridge(PickVictim(replicas).Id);
        }
        else if (Options.Partitions && roll < 63)
        {
            LeaderInMinority();
        }
        else if (roll < 72)
        {
            Heal();
            Trace.Add(NowMicros, -1, "heal");
        }
        else if (roll < 92)
        {
            if (Options.Crashes && replicas.Where(r => r.IsUp).ToArray() is { Length: > 0 } up)
            {
                Crash(PickVictim(up), "crash");
            }
        }
        else
        {
            var replica = replicas[Random.Next(replicas.Length)];
            replica.Clock.Rate = 1 + (Random.NextDouble() * 2 - 1) * Options.MaxClockDrift;
        }
    }

    /// <summary>The leader with <see cref="SimulationOptions.TargetLeaderRate"/>, else anyone: leader churn is where bugs hide.</summary>
    private SimReplica PickVictim(IReadOnlyList<SimReplica> candidates)
    {
        if (Random.NextDouble() < Options.TargetLeaderRate && CurrentLeader() is { } leader && candidates.Contains(leader))
        {
            return leader;
        }

        return candidates[Random.Next(candidates.Count)];
    }

    private void Heal() => Array.Clear(blocked);

    /// <summary>Cuts every link between the two sides of <paramref name="side"/>, except those of <paramref name="bridge"/> (none: -1).</summary>
    private void Split(bool[] side, int bridge = -1)
    {
        for (var a = 0; a < replicas.Length; a++)
        {
            for (var b = 0; b < replicas.Length; b++)
            {
                blocked[a, b] = a != bridge && b != bridge && side[a] != side[b];
            }
        }
    }

    /// <summary>
    /// The leader (or anyone, if there is none) and the largest minority that can be cut off with it: the other side
    /// elects a new leader while the old one may still hear from its followers in the old term.
    /// </summary>
    private void LeaderInMinority()
    {
        var victim = CurrentLeader() ?? replicas[Random.Next(replicas.Length)];
        var others = Enumerable.Range(0, replicas.Length).Where(r => r != victim.Id).OrderBy(_ => Random.Next()).ToArray();
        var minority = new bool[replicas.Length];
        minority[victim.Id] = true;
        foreach (var r in others.Take((replicas.Length - 1) / 2 - 1))
        {
            minority[r] = true;
        }

        Split(minority);

        // Held for two election timeouts: long enough for the majority to elect and commit while the old leader may
        // not yet have stepped down (the faults drawn meanwhile are skipped).
        faultsHeldUntilMicros = NowMicros + 2 * Options.Raft.ElectionTimeoutMaxTicks * Options.TickMicros;
        Trace.Add(NowMicros, victim.Id, $"leader in minority [{string.Join(",", Enumerable.Range(0, replicas.Length).Where(r => minority[r]))}]");
    }

    /// <summary>
    /// A bridge (Jepsen's nemesis of that name): two halves that cannot reach each other, and one replica that reaches
    /// both. <paramref name="side"/> goes in the half of (n-1)/2, so a leader there keeps a minority, and the bridge
    /// votes in the other half's new term while it may still answer the old leader.
    /// </summary>
    private void Bridge(int side)
    {
        var others = Enumerable.Range(0, replicas.Length).Where(r => r != side).OrderBy(_ => Random.Next()).ToArray();
        BridgeThrough(others[0], side);
    }

    /// <summary>
    /// A bridge through <paramref name="bridge"/>, the current leader (if another replica) on the side of (n-1)/2,
    /// held for <paramref name="holdMicros"/>: a duplicated bridge replica whose old activation still answers the old
    /// leader while its new one votes in the other side's new term is the hazard the currency gate exists for.
    /// </summary>
    public void BridgeFor(int bridge, long holdMicros)
    {
        if (quiet)
        {
            return;
        }

        var leader = CurrentLeader();
        var side = leader is not null && leader.Id != bridge
            ? leader.Id
            : Enumerable.Range(0, replicas.Length).Where(r => r != bridge).ElementAt(Random.Next(replicas.Length - 1));
        BridgeThrough(bridge, side);
        faultsHeldUntilMicros = Math.Max(faultsHeldUntilMicros, NowMicros + holdMicros);
    }

    private void BridgeThrough(int bridge, int side)
    {
        var rest = Enumerable.Range(0, replicas.Length).Where(r => r != side && r != bridge).OrderBy(_ => Random.Next()).ToArray();
        var half = new bool[replicas.Length];
        half[side] = true;
        foreach (var r in rest.Take((replicas.Length - 1) / 2 - 1))
        {
            half[r] = true;
        }

        Split(half, bridge);

        Trace.Add(NowMicros, bridge, $"bridge between [{string.Join(",", Enumerable.Range(0, replicas.Length).Where(r => half[r]))}] and the rest");
    }

    private void Isolate(int victim)
    {
        for (var other = 0; other < replicas.Length; other++)
        {
            blocked[victim, other] = other != victim;
            blocked[other, victim] = other != victim;
        }
    }

    /// <summary>The end of the chaos: a random majority is connected and up, the rest is cut off, the network is quiet.</summary>
    private void BeginQuiet()
    {
        quiet = true;
        quietSinceMicros = NowMicros;
        var quorum = replicas.Length / 2 + 1;
        var order = Enumerable.Range(0, replicas.Length).OrderBy(_ => Random.Next()).ToArray();
        var size = quorum + Random.Next(replicas.Length - quorum + 1);
        inMajority = new bool[replicas.Length];
        foreach (var id in order.Take(size))
        {
            inMajority[id] = true;
        }

        Heal();
        for (var id = 0; id < replicas.Length; id++)
        {
            if (!inMajority[id])
            {
                Isolate(id);
            }
            else if (!replicas[id].IsUp)
            {
                Start(replicas[id], firstTickWithinMicros: 0);
            }
        }

        Trace.Add(NowMicros, -1, $"quiet; connected majority [{string.Join(",", order.Take(size).Order())}]");
    }

    /// <summary>Liveness: a leader in the majority committed a fresh marker command, applied by every majority member.</summary>
    private bool LivenessReached()
    {
        if (marker is { } pending)
        {
            var committedTerm = Checker.CommittedTermAt(pending.Index);
            if ((committedTerm != 0 && committedTerm != pending.Term) || (committedTerm == 0 && Superseded(pending)))
            {
                marker = null;
            }
            else if (committedTerm == pending.Term)
            {
                return replicas.Where(r => inMajority[r.Id]).All(r => r.IsUp && r.AppliedIndex >= pending.Index);
            }

            return false;
        }

        foreach (var replica in replicas)
        {
            if (inMajority[replica.Id] && replica.Node is { Role: RaftRole.Leader })
            {
                var result = Propose(replica, [LivenessCommand?.Invoke() ?? NewCommand()]);
                if (result.IsAccepted)
                {
                    marker = new Marker(result.Index, result.Term);
                }

                break;
            }
        }

        return false;
    }

    /// <summary>
    /// A marker proposed by a leader that a newer one has since replaced and that the newer leader's log does not hold:
    /// it may never be committed (an idle group writes nothing that would overwrite its index), so propose afresh.
    /// </summary>
    private bool Superseded(Marker pending) =>
        CurrentLeader()?.Node is { } leader && leader.Term > pending.Term && !leader.Log.MatchTerm(pending.Index, pending.Term);

    private void ProposeSomething()
    {
        var target = Random.Next(5) != 0 ? CurrentLeader() : null;
        target ??= replicas[Random.Next(replicas.Length)];
        if (!target.IsUp)
        {
            return;
        }

        var commands = new ReadOnlyMemory<byte>[1 + Random.Next(4)];
        for (var i = 0; i < commands.Length; i++)
        {
            commands[i] = NewCommand();
        }

        Propose(target, commands);
    }

    private byte[] NewCommand()
    {
        var command = new byte[8 + Random.Next(25)];
        BinaryPrimitives.WriteInt64LittleEndian(command, ++nextCommandId);
        Random.NextBytes(command.AsSpan(8));
        return command;
    }

    /// <summary>
    /// A linearizable read at a replica that believes it leads, any of them (not only the leader of the highest
    /// term): a deposed leader that does not know it yet must not serve a stale read.
    /// </summary>
    private void ReadSomething()
    {
        var believers = replicas.Where(r => r.Node is { Role: RaftRole.Leader }).ToArray();
        if (believers.Length == 0)
        {
            return;
        }

        ReadAt(believers[Random.Next(believers.Length)]);
    }

    private void ReadAt(SimReplica leader)
    {
        var requestId = ++nextReadId;
        if (leader.Host.DrivesNode)
        {
            leader.Host.Read(leader, requestId);
        }
        else if (leader.Node!.ReadIndex(requestId))
        {
            Checker.OnReadIssued(leader, requestId);
            Trace.Add(NowMicros, leader.Id, "read index", requestId);
        }
    }

    private void ScheduleTick(SimReplica replica) =>
        Schedule(
            Math.Max(NowMicros + 1, replica.Clock.GlobalAt(replica.NextLocalTickMicros)),
            new SimEvent(EventKind.Tick, replica.Id, replica.Incarnation));

    /// <summary>After an exponentially distributed delay with the given mean (0 or less: never).</summary>
    private void ScheduleAfter(long meanMicros, SimEvent next)
    {
        if (meanMicros > 0)
        {
            ScheduleAfterExactly(1 + (long)(-meanMicros * Math.Log(1 - Random.NextDouble())), next);
        }
    }

    private void ScheduleAfterExactly(long delayMicros, SimEvent next) => Schedule(NowMicros + delayMicros, next);

    private void Schedule(long atMicros, SimEvent next) => events.Enqueue(next, (atMicros, sequence++));

    private enum EventKind : byte
    {
        Action,
        Tick,
        Deliver,
        Fault,
        Restart,
        Propose,
        Read,
        Transfer,
        Quiet,
        Persisted,
    }

    private readonly record struct SimEvent(
        EventKind Kind, int Replica = 0, int Incarnation = 0, RaftMessage? Message = null, byte[]? Encoded = null, Action? Action = null);

    private readonly record struct Marker(long Index, long Term);
}

public sealed class SimulationStats
{
    public long Steps { get; set; }

    public long MessagesSent { get; set; }

    public long MessagesDelivered { get; set; }

    public long Crashes { get; set; }

    public long ProposalsAccepted { get; set; }

    public long ProposalsOverloaded { get; set; }

    public long ReadsServed { get; set; }

    public long SnapshotsInstalled { get; set; }

    public int LeadersElected { get; set; }

    public long HighestCommitted { get; set; }

    public long LivenessMicros { get; set; }
}
