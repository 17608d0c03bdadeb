using LockService.Hosting;
using LockService.Protocol;
using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A simulated replica: the shipped <see cref="ReplicaCore"/> in a thin host, as the replica grain hosts it. Ticks
/// and peer messages go in as the core's inputs; its outbox is performed here: messages through the simulated
/// network, one storage write at a time on the replica's durable store (taking simulated time, and sometimes
/// crashing the replica instead), replies to the clients' callbacks by ticket through the grain's wire mapping
/// (<see cref="ReplicaWire"/>). The core's probe reports to the Raft and lease checkers. A crash drops the core
/// with everything volatile (no reply is ever sent for what was pending), as a dead silo does.
/// </summary>
internal sealed class LeaseHost(LeaseWorld world, int id) : ReplicaHost
{
    private readonly LeaseWorld world = world;
    private readonly Dictionary<long, Action<ReplicaReply>> calls = [];
    private ReplicaCore? core;
    private SimReplica? replica;
    private long nextTicket;
    private long knownVersion;
    private int incarnation;

    public int Id { get; } = id;

    /// <summary>Volatile state is gone at a crash; writes and replies of an older incarnation do nothing.</summary>
    public int Incarnation => incarnation;

    public LeaseClock? Clock => core?.Clock;

    public override bool DrivesNode => true;

    private SimReplica Replica => replica ?? throw new InvalidOperationException("host not started");

    private TimeSpan LocalNow => TimeSpan.FromMicroseconds(Replica.Clock.NowMicros);

    // ---- The grain's activation, timer and peer calls ----

    /// <summary>OnActivateAsync: the core restores itself from the durable store.</summary>
    public override RaftNode Start(SimReplica started, Random random)
    {
        replica = started;
        incarnation++;
        calls.Clear();
        var durable = started.Durable.ToPersistedState();
        knownVersion = started.Durable.Version;
        var options = new ReplicaCoreOptions
        {
            ClockRateBound = world.Epsilon,
            MaxPollDuration = TimeSpan.FromMicroseconds(world.Options.MaxPollMicros),
            SnapshotEveryEntries = world.Options.Raft.CompactEveryEntries > 0 ? world.Options.Raft.CompactEveryEntries : int.MaxValue,
        };
        core = new ReplicaCore(options, started.Config, random, durable, LocalNow, world.NewSessionId, new Probe(this));
        ((LeaseApplier)started.Applier).Attach(core);

        // Ground truth for the checker: what the log holds, arriving now.
        if (durable.Snapshot is { } loaded)
        {
            world.Checker.OnClockObserved(Id, loaded.Metadata.LastIncludedIndex, fromSnapshot: true, snapshotClockMs: core.Leases.ClockMs);
        }

        foreach (var (index, _) in ReplicaCore.ClockEntries(durable.Entries))
        {
            world.Checker.OnClockObserved(Id, index, fromSnapshot: false, term: durable.Entries[(int)(index - durable.Entries[0].Index)].Term);
        }

        return core.Raft;
    }

    public override void OnCrash(SimReplica crashed)
    {
        incarnation++;
        core = null;
        calls.Clear();
        world.Checker.OnReplicaDown(Id);
    }

    public override void OnTick(SimReplica ticked) => Input(c => c.Tick(LocalNow));

    public override void OnMessage(SimReplica to, RaftMessage message) => Input(c => c.Receive([message], LocalNow));

    /// <summary>A draining silo: the core hands leadership over by its own policy (the simulator's target is ignored).</summary>
    public override object TransferLeadership(SimReplica leader, int target)
    {
        Input(c => c.HandOver("simulated drain", LocalNow));
        return "hand over";
    }

    // ---- The grain's client calls (wire requests in, wire replies out through the grain's mapping) ----

    public void OpenSession(OpenSessionRequest request, Action<SessionReply> reply) =>
        Call(ReplicaWire.ToCore(request), r => reply(ReplicaWire.ToSessionReply(r)));

    public void KeepAlive(KeepAliveRequest request, Action<SessionReply> reply) =>
        Call(ReplicaWire.ToCore(request), r => reply(ReplicaWire.ToSessionReply(r)));

    public void CloseSession(CloseSessionRequest request, Action<SessionReply> reply) =>
        Call(ReplicaWire.ToCore(request), r => reply(ReplicaWire.ToSessionReply(r)));

    public void Acquire(AcquireRequest request, Action<AcquireReply> reply) =>
        Call(ReplicaWire.ToCore(request), r => reply(ReplicaWire.ToAcquireReply(r)));

    public void Release(ReleaseRequest request, Action<ReleaseReply> reply) =>
        Call(ReplicaWire.ToCore(request), r => reply(ReplicaWire.ToReleaseReply(r)));

    public void CancelWait(CancelWaitRequest request, Action<ReleaseReply> reply) =>
        Call(ReplicaWire.ToCore(request), r => reply(ReplicaWire.ToReleaseReply(r)));

    public void Describe(string name, Action<DescribeReply> reply) =>
        Call(new ReplicaRequest.Describe(name), r => reply(ReplicaWire.ToDescribeReply(r)));

    public void IsCurrent(string name, Client.FencingToken token, Action<IsCurrentReply> reply) =>
        Call(new ReplicaRequest.IsCurrent(name, token), r => reply(ReplicaWire.ToIsCurrentReply(r)));

    private void Call(ReplicaRequest request, Action<ReplicaReply> reply)
    {
        if (core is null)
        {
            return; // down: the request is lost
        }

        var ticket = ++nextTicket;
        calls[ticket] = reply;
        Input(c => c.Request(ticket, request, LocalNow));
    }

    // ---- Performing the outbox ----

    private void Input(Action<ReplicaCore> input)
    {
        if (core is not { } current)
        {
            return;
        }

        input(current);
        Drain(current);
    }

    private void Drain(ReplicaCore current)
    {
        var outbox = current.Outbox;
        while (core == current && !outbox.IsEmpty)
        {
            var messages = outbox.Messages.ToArray();
            var replies = outbox.Replies.ToArray();
            var events = outbox.Events.ToArray();
            var write = outbox.Write;
            var verify = outbox.VerifyCurrent;
            var checkPlacement = outbox.CheckPlacement;
            var stop = outbox.Stop;
            outbox.Clear();

            foreach (var message in messages)
            {
                world.Sim.Send(message);
            }

            foreach (var (ticket, reply) in replies)
            {
                if (calls.Remove(ticket, out var call))
                {
                    call(reply);
                }
            }

            foreach (var replicaEvent in events)
            {
                Trace("event", replicaEvent);
            }

            if (stop is not null)
            {
                world.Sim.Crash(Replica, "stopped: " + stop);
                return;
            }

            if (checkPlacement)
            {
                current.PlacementChecked(misplaced: false, LocalNow); // one silo per replica: always where it belongs
            }

            if (write is not null)
            {
                StartWrite(current, write);
            }

            if (verify is { } checkId)
            {
                StartVerify(current, checkId);
            }
        }
    }

    /// <summary>The store's "am I current" read: the version this activation last loaded or wrote is still the store's.</summary>
    private void StartVerify(ReplicaCore current, long checkId)
    {
        var mine = incarnation;
        world.Sim.After(1 + world.Sim.Random.NextInt64(Math.Max(1, world.Options.Raft.MaxPersistMicros / 2)), () =>
        {
            if (mine == incarnation && core == current)
            {
                current.CurrentVerified(checkId, Replica.Durable.Version == knownVersion, LocalNow);
                Drain(current);
            }
        });
    }

    /// <summary>A write takes simulated time; the core holds what depends on it until it finishes.</summary>
    private void StartWrite(ReplicaCore current, StorageWrite write)
    {
        var options = world.Options.Raft;
        if (options.MaxPersistMicros <= 0)
        {
            FinishWrite(current, write);
            return;
        }

        var mine = incarnation;
        world.Sim.After(1 + world.Sim.Random.NextInt64(options.MaxPersistMicros), () =>
        {
            if (mine == incarnation && core == current)
            {
                FinishWrite(current, write);
                Drain(current);
            }
        });
    }

    private void FinishWrite(ReplicaCore current, StorageWrite write)
    {
        var options = world.Options.Raft;
        if (!world.Sim.IsQuiet && options.CrashDuringReadyRate > 0 && world.Sim.Random.NextDouble() < options.CrashDuringReadyRate)
        {
            world.Sim.Crash(Replica, "crash before persisting a write");
            return;
        }

        if (Replica.Durable.Version != knownVersion)
        {
            current.WriteFailed(write.WriteId, fenced: true, "another activation wrote first");
            return;
        }

        var entries = write.Entries.Span;
        world.Sim.Checker.OnPersist(Replica, entries);
        if (write.Snapshot is { } snapshot && !write.DiscardLog)
        {
            Replica.Durable.Compact(snapshot);
            Trace("compact", snapshot);
        }
        else
        {
            Replica.Durable.Write(write.HardState, write.Snapshot, entries);
        }

        knownVersion = Replica.Durable.Version;
        current.WriteFinished(write.WriteId, LocalNow);
    }

    private void Trace(string what, object? detail = null) => world.Sim.Trace.Add(world.Sim.NowMicros, Id, what, detail);

    /// <summary>What the core does, reported to the Raft and lease checkers.</summary>
    private sealed class Probe(LeaseHost host) : ReplicaProbe
    {
        private LeaseWorld World => host.world;

        private SimReplica Replica => host.Replica;

        public override void BeforeReady() => World.Sim.Checker.Observe(Replica);

        public override void OnSoftState(SoftState state) => host.Trace("soft state", state);

        public override void OnWriteStarted(ReadOnlySpan<LogEntry> entries)
        {
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
            host.Trace("  proposed", command);
            World.Sim.Stats.ProposalsAccepted += result.IsAccepted ? 1 : 0;
            World.Sim.Stats.ProposalsOverloaded += result.Status == ProposeStatus.Overloaded ? 1 : 0;
            if (result.IsAccepted)
            {
                World.Checker.OnProposed(host, result, command);
            }
        }

        public override void OnBecameLeader(long term)
        {
            host.Trace("leader's lease clock starts at", new ClockEntry(0, term, host.core!.Clock.NextClockMs(host.LocalNow)));
            World.Checker.OnBecameLeader(host, term);
        }

        public override void OnSnapshotInstalled(Snapshot snapshot)
        {
            var index = snapshot.Metadata.LastIncludedIndex;
            Replica.AppliedIndex = index;
            ((LeaseApplier)Replica.Applier).Changed(null, null, []);
            World.Sim.Checker.OnRestored(Replica, index);
            World.Sim.Stats.SnapshotsInstalled++;
            host.Trace("install", snapshot);
            World.Checker.OnClockObserved(host.Id, index, fromSnapshot: true, snapshotClockMs: host.core!.Leases.ClockMs);
        }

        public override void OnApplied(in LogEntry entry, LeaseCommand? command, LeaseResult? result, IReadOnlyList<LeaseEvent> events)
        {
            if (entry.Index != Replica.AppliedIndex + 1)
            {
                throw new InvariantViolation($"replica {host.Id} applied {entry} after {Replica.AppliedIndex}");
            }

            Replica.AppliedIndex = entry.Index;
            ((LeaseApplier)Replica.Applier).Changed(command, result, events);
            World.Sim.Checker.OnApplied(Replica, entry);
            World.Checker.OnApplied(host, Replica, entry);
        }

        public override void OnReadIssued(long readId) => World.Sim.Checker.OnReadIssued(Replica, readId);

        public override void OnReadState(ReadState read)
        {
            World.Sim.Checker.OnReadState(Replica, read);
            World.Sim.Stats.ReadsServed++;
        }
    }

    private sealed record ClockEntry(long Index, long Term, long ClockMs)
    {
        public override string ToString() => Index > 0 ? $"{Index}@{Term}: {ClockMs} ms" : $"term {Term}: {ClockMs} ms";
    }
}
