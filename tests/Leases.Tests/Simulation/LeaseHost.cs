using LockService.Hosting;
using LockService.Protocol;
using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A simulated replica: the shipped <see cref="ReplicaCore"/> in a thin host, as the replica grain hosts it. Ticks
/// and peer messages go in as the core's inputs; its outbox is performed here: messages through the simulated
/// network, one storage write at a time on the replica's durable store (taking simulated time), the "am I
/// current" check, replies to the clients' callbacks by ticket through the grain's wire mapping
/// (<see cref="ReplicaWire"/>). The core's probe reports to the Raft and lease checkers. The store is fenced like
/// the real one: a write or check by an activation that is no longer the last writer is refused.
/// <para>
/// The faults of the real host: writes that fail, or land while their caller hears a timeout (the activation
/// stops, and reloads); a write torn between storage transactions followed by a crash; a pause of the host longer
/// than the session TTLs (timers, messages, requests and storage wait, the clock goes on); and a second live
/// activation: a fresh one takes over the replica (it wrote first) while the old one lives on, stale, receiving
/// messages and requests too until it stops or is removed. A crash drops every activation with everything
/// volatile (no reply is ever sent for what was pending), as a dead silo does.
/// </para>
/// </summary>
internal sealed class LeaseHost(LeaseWorld world, int id) : ReplicaHost
{
    private readonly LeaseWorld world = world;
    private readonly List<Activation> activations = [];
    private SimReplica? replica;
    private long nextTicket;
    private int activationNumber;
    private long pausedUntilMicros;
    private int processLife;
    private Activation? nextRoute;
    private readonly Dictionary<int, Activation> senderRoutes = [];

    public int Id { get; } = id;

    public LeaseClock? Clock => Primary?.Core.Clock;

    public override bool DrivesNode => true;

    /// <summary>The replica's current activation (the one the checkers observe), null while it is down.</summary>
    private Activation? Primary => activations.Count > 0 && activations[0].IsPrimary ? activations[0] : null;

    /// <summary>The highest index any live activation has applied, a stale duplicate's included (0 when none runs).</summary>
    public long MaxAppliedIndex => activations.Count == 0 ? 0 : activations.Max(a => a.Core.AppliedIndex);

    private SimReplica Replica => replica ?? throw new InvalidOperationException("host not started");

    private TimeSpan LocalNow => TimeSpan.FromMicroseconds(Replica.Clock.NowMicros);

    private bool Paused => world.Sim.NowMicros < pausedUntilMicros;

    /// <summary>The host is paused: it neither works nor answers (the checker's working leader is not paused).</summary>
    public bool IsPaused => Paused;

    // ---- The grain's activation, timer and peer calls ----

    /// <summary>OnActivateAsync: the core restores itself from the durable store.</summary>
    public override RaftNode Start(SimReplica started, Random random)
    {
        replica = started;
        processLife++;
        activations.Clear();
        pausedUntilMicros = 0;
        return Activate(random).Core.Raft;
    }

    public override void OnCrash(SimReplica crashed)
    {
        processLife++;
        activations.Clear();
        world.Checker.OnReplicaDown(Id);
    }

    public override void OnTick(SimReplica ticked)
    {
        if (!Paused)
        {
            ForEachActivation(c => c.Tick(LocalNow));
        }
    }

    /// <summary>
    /// With two live activations, each silo's directory cache points at one of them: the messages of one sender keep
    /// reaching the activation its silo resolved. The stale one may so answer a leader of a term that the current one
    /// has already left, while the current one votes in the new term.
    /// </summary>
    public override void OnMessage(SimReplica to, RaftMessage message) =>
        WhenRunning(() =>
        {
            if (activations.Count == 0)
            {
                return;
            }

            var routed = senderRoutes.TryGetValue(message.From, out var activation) && activations.Contains(activation)
                ? activation
                : activations[0];
            Input(routed, c => c.Receive([message], LocalNow));
        });

    /// <summary>A draining silo: the core hands leadership over by its own policy (the simulator's target is ignored).</summary>
    public override object TransferLeadership(SimReplica leader, int target)
    {
        WhenRunning(() => Input(Primary, c => c.HandOver("simulated drain", LocalNow)));
        return "hand over";
    }

    /// <summary>A client's linearizable read (IsCurrent of some token), to whichever live activation gets it.</summary>
    public override void Read(SimReplica leader, long requestId) =>
        IsCurrent("lock/0", new Client.FencingToken(1, requestId), Via.Direct, _ => { });

    // ---- The grain's client calls (wire requests in, wire replies out through the grain's mapping) ----

    public void OpenSession(OpenSessionRequest request, Via via, Action<SessionReply> reply) =>
        Call(ReplicaWire.ToCore(request), via, r => reply(ReplicaWire.ToSessionReply(r)));

    public void KeepAlive(KeepAliveRequest request, Via via, Action<SessionReply> reply) =>
        Call(ReplicaWire.ToCore(request), via, r => reply(ReplicaWire.ToSessionReply(r)));

    public void CloseSession(CloseSessionRequest request, Via via, Action<SessionReply> reply) =>
        Call(ReplicaWire.ToCore(request), via, r => reply(ReplicaWire.ToSessionReply(r)));

    public void Acquire(AcquireRequest request, Via via, Action<AcquireReply> reply) =>
        Call(ReplicaWire.ToCore(request), via, r => reply(ReplicaWire.ToAcquireReply(r)));

    public void Release(ReleaseRequest request, Via via, Action<ReleaseReply> reply) =>
        Call(ReplicaWire.ToCore(request), via, r => reply(ReplicaWire.ToReleaseReply(r)));

    public void CancelWait(CancelWaitRequest request, Via via, Action<ReleaseReply> reply) =>
        Call(ReplicaWire.ToCore(request), via, r => reply(ReplicaWire.ToReleaseReply(r)));

    public void Describe(string name, Via via, Action<DescribeReply> reply) =>
        Call(new ReplicaRequest.Describe(name), via, r => reply(ReplicaWire.ToDescribeReply(r)));

    public void IsCurrent(string name, Client.FencingToken token, Via via, Action<IsCurrentReply> reply) =>
        Call(new ReplicaRequest.IsCurrent(name, token), via, r => reply(ReplicaWire.ToIsCurrentReply(r)));

    /// <summary>
    /// With two live activations, the directory may route a call to either: picks the one the next call goes to, and
    /// says whether it is the current one (a renewal that reaches a stale activation never reached the leader).
    /// </summary>
    public bool RouteNextCall()
    {
        nextRoute = activations.Count <= 1 ? null : activations[world.Sim.Random.Next(activations.Count)];
        return nextRoute is null || nextRoute.IsPrimary;
    }

    /// <summary>A call as the grain takes it: a core request with a ticket, answered (or forwarded) by the core.</summary>
    public void Call(ReplicaRequest request, Via via, Action<ReplicaReply> reply)
    {
        var route = nextRoute;
        nextRoute = null;
        WhenRunning(() => CallNow(route, request, via, reply));
    }

    private void CallNow(Activation? route, ReplicaRequest request, Via via, Action<ReplicaReply> reply)
    {
        if (activations.Count == 0)
        {
            return; // down: the request is lost
        }

        var to = route is not null && activations.Contains(route) ? route : activations[0];
        var ticket = ++nextTicket;
        Trace($"a{to.Number} request #{ticket}{(via.ForwardToLeader ? " (forward if not leader)" : "")}", request);
        to.Calls[ticket] = new OpenCall(reply, via.Renews);
        Input(to, c => c.Request(ticket, request, LocalNow, via.ForwardToLeader));
    }

    // ---- Host faults ----

    /// <summary>The host stops for a while (a long GC pause, a frozen VM): everything waits, the clock goes on.</summary>
    public void Pause(long durationMicros)
    {
        if (activations.Count == 0 || Paused)
        {
            return;
        }

        pausedUntilMicros = world.Sim.NowMicros + durationMicros;
        Trace($"host paused for {durationMicros / 1000} ms");
    }

    /// <summary>
    /// A second live activation: a fresh one loads the replica and writes first (so the store fences the old one),
    /// and the old one lives on, stale, until it stops or is removed after <paramref name="lifeMicros"/>. False if the
    /// host is down or paused (nothing happened). <paramref name="bridged"/>: the duplicate comes with a partition that
    /// cuts the leader off from the other replicas, whose silos resolve the fresh activation.
    /// </summary>
    public bool Duplicate(long lifeMicros, bool bridged)
    {
        if (Primary is not { } old || Paused)
        {
            return false;
        }

        Replica.Durable.Touch(); // the new activation's first conditional write
        old.IsPrimary = false;
        old.StorageLagMicros = world.Sim.Random.Next(2) == 0 ? lifeMicros : 0;
        world.Sim.Checker.OnCrash(Replica);
        world.Checker.OnReplicaDown(Id);
        activations.Remove(old);
        Replica.AppliedIndex = 0;
        var fresh = Activate(new Random(world.Sim.Random.Next()));
        activations.Add(old);
        Replica.Node = fresh.Core.Raft;
        if (Replica.Durable.Snapshot is { } snapshot)
        {
            Replica.AppliedIndex = snapshot.Metadata.LastIncludedIndex;
            world.Sim.Checker.OnRestored(Replica, Replica.AppliedIndex);
        }

        // The leader's silo has the old activation cached (it has been talking to it all along); the others resolve
        // afresh (those cut off from the leader's silo) or not, at random.
        senderRoutes.Clear();
        var leader = world.Sim.CurrentLeader()?.Id;
        foreach (var sender in Replica.Config.Voters)
        {
            if (sender != Id && (sender == leader || (!bridged && world.Sim.Random.Next(2) == 0)))
            {
                senderRoutes[sender] = old;
            }
        }

        Trace($"duplicate activation: a{fresh.Number} takes over, a{old.Number} lives on stale, reached by [{string.Join(",", senderRoutes.Keys)}]");
        world.Sim.After(lifeMicros, () =>
        {
            if (activations.Remove(old))
            {
                Trace($"stale activation a{old.Number} removed");
            }
        });

        return true;
    }

    private Activation Activate(Random random)
    {
        var durable = Replica.Durable.ToPersistedState();
        var options = new ReplicaCoreOptions
        {
            ClockRateBound = world.Epsilon,
            MaxPollDuration = TimeSpan.FromMicroseconds(world.Options.MaxPollMicros),
            SnapshotEveryEntries = world.Options.Raft.CompactEveryEntries > 0 ? world.Options.Raft.CompactEveryEntries : int.MaxValue,
        };
        var activation = new Activation(++activationNumber, Replica.Durable.Version);
        activation.Core = new ReplicaCore(options, Replica.Config, random, durable, LocalNow, world.NewSessionId, new Probe(this, activation));
        activations.Insert(0, activation);
        ((LeaseApplier)Replica.Applier).Attach(activation.Core);

        // Ground truth for the checker: what the log holds, arriving now.
        if (durable.Snapshot is { } loaded)
        {
            world.Checker.OnClockObserved(Id, loaded.Metadata.LastIncludedIndex, fromSnapshot: true, snapshotClockMs: activation.Core.Leases.ClockMs);
        }

        foreach (var (index, _) in ReplicaCore.ClockEntries(durable.Entries))
        {
            world.Checker.OnClockObserved(Id, index, fromSnapshot: false, term: durable.Entries[(int)(index - durable.Entries[0].Index)].Term);
        }

        return activation;
    }

    // ---- Performing the outbox ----

    /// <summary>While the host is paused, what arrives waits for the resume.</summary>
    private void WhenRunning(Action action)
    {
        if (Paused)
        {
            // What waits in a paused process dies with it: a crash or restart meanwhile drops it.
            var life = processLife;
            world.Sim.At(pausedUntilMicros, () =>
            {
                if (life == processLife)
                {
                    WhenRunning(action);
                }
            });
            return;
        }

        action();
    }

    private void ForEachActivation(Action<ReplicaCore> input)
    {
        foreach (var activation in activations.ToArray())
        {
            Input(activation, input);
        }
    }

    private void Input(Activation? activation, Action<ReplicaCore> input)
    {
        if (activation is null || !activations.Contains(activation))
        {
            return;
        }

        try
        {
            input(activation.Core);
        }
        catch (Exception e) when (!activation.IsPrimary)
        {
            // As the grain does: a failure inside the core stops the activation. Only a stale one may get here (for
            // example a heartbeat committing entries that only the current activation holds); in the current one
            // it is a bug, and fails the seed.
            Trace($"a{activation.Number} failed inside its core", e.Message);
            activation.Core.Stop("core failure: " + e.Message);
        }

        Drain(activation);
    }

    /// <summary>Performs the activation's outbox through the same driver the grain uses (<see cref="ReplicaOutbox.DrainTo"/>).</summary>
    private void Drain(Activation activation) => activation.Core.Outbox.DrainTo(activation.Host ??= new ActivationHost(this, activation));

    /// <summary>This host's side of <see cref="IReplicaHost"/> for one activation.</summary>
    private sealed class ActivationHost(LeaseHost host, Activation activation) : IReplicaHost
    {
        public bool Live => host.activations.Contains(activation);

        public void Send(IReadOnlyList<RaftMessage> messages)
        {
            foreach (var message in messages)
            {
                host.world.Sim.Send(message);
            }
        }

        public void Reply(long ticket, ReplicaReply reply)
        {
            if (activation.Calls.Remove(ticket, out var call))
            {
                call.Reply(reply);
            }
        }

        public void Forward(ForwardRequest forward)
        {
            if (activation.Calls.Remove(forward.Ticket, out var call))
            {
                host.Forward(activation, forward, call);
            }
        }

        public void Report(ReplicaEvent replicaEvent) => host.Trace($"a{activation.Number} event", replicaEvent);

        public void Stop(string reason) => host.Deactivate(activation, reason);

        public void StartWrite(StorageWrite write) => host.StartWrite(activation, write);

        public void StartVerify(long checkId) => host.StartVerify(activation, checkId);

        // One silo per replica: always where it belongs.
        public void CheckPlacement() => activation.Core.PlacementChecked(misplaced: false, host.LocalNow);

        public void Move() => throw new InvalidOperationException("A replica that is never misplaced never moves.");
    }

    /// <summary>
    /// The core's <see cref="ForwardRequest"/>, performed as the grain does: the request goes on to the leader's host
    /// (silo to silo: cut by partitions, with the run's drops, duplicates and delays, routed to either activation of
    /// a duplicated leader), as a call that does not ask to be forwarded again; the leader's reply comes back the
    /// same way and answers the client's call here, if this activation still lives (a crash loses it).
    /// </summary>
    private void Forward(Activation activation, ForwardRequest forward, OpenCall call)
    {
        world.Checker.Stats.CallsForwarded++;
        Trace($"a{activation.Number} forwards #{forward.Ticket} to r{forward.Leader}", forward.Request);
        world.ForwardToReplica(Id, forward.Leader, call.Renews, leader => leader.Call(forward.Request, new Via(false, call.Renews), reply =>
            world.ReplyToReplica(forward.Leader, Id, () => WhenRunning(() =>
            {
                if (activations.Contains(activation))
                {
                    world.Checker.Stats.ForwardsRefused += reply.Code == ReplyCode.NotLeader ? 1 : 0; // reached a deposed leader
                    call.Reply(reply);
                }
            }))));
    }

    /// <summary>An activation that stopped deactivates; the replica's next message activates a fresh one (a restart).</summary>
    private void Deactivate(Activation activation, string reason)
    {
        if (!activation.IsPrimary)
        {
            activations.Remove(activation);
            Trace($"stale activation a{activation.Number} stopped: {reason}");
            return;
        }

        world.Sim.Crash(Replica, $"a{activation.Number} stopped: {reason}");
    }

    /// <summary>The store's "am I current" read: the version this activation last loaded or wrote is still the store's.</summary>
    private void StartVerify(Activation activation, long checkId) =>
        AfterStorage(activation, 1 + world.Sim.Random.NextInt64(Math.Max(1, world.Options.Raft.MaxPersistMicros / 2)), () =>
            Input(activation, c => c.CurrentVerified(checkId, Replica.Durable.Version == activation.KnownVersion, LocalNow)));

    /// <summary>A write takes simulated time; the core holds what depends on it until it finishes.</summary>
    private void StartWrite(Activation activation, StorageWrite write)
    {
        var options = world.Options.Raft;
        if (options.MaxPersistMicros <= 0)
        {
            FinishWrite(activation, write);
            return;
        }

        AfterStorage(activation, 1 + world.Sim.Random.NextInt64(options.MaxPersistMicros), () =>
        {
            FinishWrite(activation, write);
            Drain(activation);
        });
    }

    /// <summary>Storage answers after <paramref name="delayMicros"/>, or after the host's pause, to a still-live activation.</summary>
    private void AfterStorage(Activation activation, long delayMicros, Action done) =>
        world.Sim.After(activation.StorageLagMicros > 0 ? 1 + world.Sim.Random.NextInt64(activation.StorageLagMicros) : delayMicros, () => WhenRunning(() =>
        {
            if (activations.Contains(activation))
            {
                done();
            }
        }));

    private void FinishWrite(Activation activation, StorageWrite write)
    {
        var core = activation.Core;
        if (Replica.Durable.Version != activation.KnownVersion)
        {
            core.WriteFailed(write.WriteId, fenced: true, "another activation wrote first", LocalNow);
            return;
        }

        var options = world.Options;
        var faults = !world.Sim.IsQuiet && activation.IsPrimary;
        if (faults && options.Raft.CrashDuringReadyRate > 0 && world.Sim.Random.NextDouble() < options.Raft.CrashDuringReadyRate)
        {
            world.Sim.Crash(Replica, "crash before persisting a write");
            return;
        }

        var entries = write.Entries.Span;
        var takesUpTerm = TakesUpTerm(write);
        if (faults && entries.Length > (takesUpTerm ? 0 : 1) && world.Sim.Random.NextDouble() < (takesUpTerm ? Math.Min(1, options.TornWriteRate * 10) : options.TornWriteRate))
        {
            // The store's first transactions landed: a prefix of the entries, without the hard state, which goes
            // last. A write that takes up a new term is torn far more often (and may lose only its hard state): new-
            // term entries under the old hard state is the one tear a restart must repair.
            var landed = entries[..(1 + world.Sim.Random.Next(takesUpTerm ? entries.Length : entries.Length - 1))];
            world.Sim.Checker.OnPersist(Replica, landed, write.Snapshot);
            Replica.Durable.Write(null, write.Snapshot, landed);
            world.Sim.Crash(Replica, $"crash between the transactions of a write ({landed.Length} of {entries.Length} entries landed)");
            return;
        }

        if (faults && world.Sim.Random.NextDouble() < options.WriteFailRate)
        {
            core.WriteFailed(write.WriteId, fenced: false, "injected: the storage call failed", LocalNow);
            return;
        }

        world.Sim.Checker.OnPersist(Replica, entries, write.DiscardLog ? write.Snapshot : null);
        if (write.Snapshot is { } snapshot && !write.DiscardLog)
        {
            Replica.Durable.Compact(snapshot);
            Trace("compact", snapshot);
        }
        else
        {
            Replica.Durable.Write(write.HardState, write.Snapshot, entries);
        }

        activation.KnownVersion = Replica.Durable.Version;
        if (faults && world.Sim.Random.NextDouble() < options.WriteUnknownRate)
        {
            core.WriteFailed(write.WriteId, fenced: false, "injected: the storage call timed out after the write landed", LocalNow);
            return;
        }

        core.WriteFinished(write.WriteId, LocalNow);
    }

    /// <summary>Whether the write carries a new term and entries of that term (its first entry is one).</summary>
    private bool TakesUpTerm(StorageWrite write)
    {
        var durableTerm = Replica.Durable.HardState.Term;
        return write.HardState is { } hardState && hardState.Term > durableTerm && !write.Entries.IsEmpty && write.Entries.Span[0].Term > durableTerm;
    }

    private void Trace(string what, object? detail = null) => world.Sim.Trace.Add(world.Sim.NowMicros, Id, what, detail);

    /// <summary>One activation of the replica: its core, the store version it last loaded or wrote, its open calls.</summary>
    private sealed class Activation(int number, long knownVersion)
    {
        public int Number { get; } = number;

        public ReplicaCore Core { get; set; } = null!;

        public long KnownVersion { get; set; } = knownVersion;

        public bool IsPrimary { get; set; } = true;

        /// <summary>
        /// While stale: its storage calls answer within this long (the SDK's retries on a silo in trouble, the one the
        /// directory lost track of), so it lives on answering what needs no write.
        /// </summary>
        public long StorageLagMicros { get; set; }

        /// <summary>While stale: the highest commit index of its node already registered with the checker.</summary>
        public long CheckedCommit { get; set; }

        public Dictionary<long, OpenCall> Calls { get; } = [];

        public ActivationHost? Host { get; set; }
    }

    /// <summary>A client call waiting for its ticket: where its reply goes, and the session it renews (forwarded along with it).</summary>
    private sealed record OpenCall(Action<ReplicaReply> Reply, ClientSession? Renews);

    /// <summary>
    /// What a core does, reported to the Raft and lease checkers: everything for the current activation; for a stale
    /// one, what reaches other replicas or clients (its proposals, which may commit, and its reads).
    /// </summary>
    private sealed class Probe(LeaseHost host, Activation activation) : ReplicaProbe
    {
        private LeaseWorld World => host.world;

        private SimReplica Replica => host.Replica;

        private bool Current => activation.IsPrimary;

        /// <summary>Read ids are per activation; the checker keys reads by replica, so each activation gets its own range.</summary>
        private long ReadId(long id) => ((long)activation.Number << 40) + id;

        public override void BeforeReady()
        {
            if (Current)
            {
                World.Sim.Checker.Observe(Replica);
            }
            else
            {
                activation.CheckedCommit = World.Sim.Checker.ObserveStaleActivation(host.Id, activation.Core.Raft, activation.CheckedCommit);
            }
        }

        public override void OnSoftState(SoftState state) => host.Trace($"a{activation.Number} soft state", state);

        public override void OnWriteStarted(ReadOnlySpan<LogEntry> entries)
        {
            if (!Current)
            {
                return;
            }

            World.Checker.OnLogTruncated(host.Id, entries[0].Index);
            foreach (ref readonly var entry in entries)
            {
                if (entry.Type == EntryType.Normal && LeaseCommandCodec.TryReadClock(entry.Data.Span, out var clockMs))
                {
                    host.Trace("clock entry appended", new ClockEntry(entry.Index, entry.Term, clockMs));
                    World.Checker.OnClockObserved(host.Id, entry.Index, fromSnapshot: false, term: entry.Term);
                }
            }
        }

        public override void OnProposed(ProposeResult result, LeaseCommand command)
        {
            host.Trace($"  a{activation.Number} proposed", command is Tick tick
                ? $"Tick {{ ClockMs = {tick.ClockMs}, Renewals = [{string.Join(", ", tick.Renewals.Select(r => r.ToString()[..8]))}] }}"
                : command);
            World.Sim.Stats.ProposalsAccepted += result.IsAccepted ? 1 : 0;
            World.Sim.Stats.ProposalsOverloaded += result.Status == ProposeStatus.Overloaded ? 1 : 0;
            if (result.IsAccepted)
            {
                World.Checker.OnProposed(host, result, command);
            }
        }

        public override void OnBecameLeader(long term)
        {
            host.Trace($"a{activation.Number}: leader's lease clock starts at", new ClockEntry(0, term, activation.Core.Clock.NextClockMs(host.LocalNow)));
            if (Current)
            {
                World.Checker.OnBecameLeader(host, term);
            }
        }

        public override void OnSnapshotInstalled(Snapshot snapshot)
        {
            if (!Current)
            {
                return;
            }

            var index = snapshot.Metadata.LastIncludedIndex;
            Replica.AppliedIndex = index;
            ((LeaseApplier)Replica.Applier).Changed(null, null, []);
            World.Sim.Checker.OnRestored(Replica, index);
            World.Sim.Stats.SnapshotsInstalled++;
            host.Trace("install", snapshot);
            World.Checker.OnClockObserved(host.Id, index, fromSnapshot: true, snapshotClockMs: activation.Core.Leases.ClockMs);
        }

        public override void OnApplied(in LogEntry entry, LeaseCommand? command, LeaseResult? result, IReadOnlyList<LeaseEvent> events)
        {
            if (!Current)
            {
                return;
            }

            if (entry.Index != Replica.AppliedIndex + 1)
            {
                throw new InvariantViolation($"replica {host.Id} applied {entry} after {Replica.AppliedIndex}");
            }

            Replica.AppliedIndex = entry.Index;
            ((LeaseApplier)Replica.Applier).Changed(command, result, events);
            World.Sim.Checker.OnApplied(Replica, entry);
            World.Checker.OnApplied(host, Replica, entry);
        }

        public override void OnReadIssued(long readId) => World.Sim.Checker.OnReadIssued(Replica, ReadId(readId));

        public override void OnReadState(ReadState read)
        {
            World.Sim.Checker.OnReadState(Replica, read with { RequestId = ReadId(read.RequestId) });
            World.Sim.Stats.ReadsServed++;
        }
    }

    private sealed record ClockEntry(long Index, long Term, long ClockMs)
    {
        public override string ToString() => Index > 0 ? $"{Index}@{Term}: {ClockMs} ms" : $"term {Term}: {ClockMs} ms";
    }
}

/// <summary>
/// How a client's call reaches a replica's host: whether it asks a follower to forward it to the leader
/// (<see cref="Protocol.ReplicaCallContext.ForwardToLeader"/>), and the session it renews, if any (the checker follows
/// where its renewing messages arrive, forwarded ones included).
/// </summary>
internal readonly record struct Via(bool ForwardToLeader, ClientSession? Renews)
{
    public static Via Direct => default;
}
