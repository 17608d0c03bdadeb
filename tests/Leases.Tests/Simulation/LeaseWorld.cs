using System.Buffers.Binary;
using LockService.Raft;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// One lease simulation run: the Raft simulator with the lease state machine (<see cref="LeaseApplier"/>) and the
/// replica grain's lease logic (<see cref="LeaseHost"/>) on every replica, clients on their own clocks talking to
/// the replicas over a lossy network, and <see cref="LeaseChecker"/> watching every step.
/// </summary>
internal sealed class LeaseWorld
{
    private static readonly ClientId MarkerClient = new(UInt128.MaxValue);
    private readonly LeaseHost[] hosts;
    private readonly List<SimClient> clients = [];
    private ulong markers;

    public LeaseWorld(int seed, LeaseSimOptions options)
    {
        Seed = seed;
        Options = options;
        hosts = new LeaseHost[options.Raft.Replicas];
        Checker = new LeaseChecker(this);
        Sim = new Simulation(seed, options.Raft, _ => new LeaseApplier(), id => hosts[id] = new LeaseHost(this, id))
        {
            // The final liveness proposal: a close of a session nobody has, from a client nobody is (changes nothing).
            LivenessCommand = () => LeaseCommandCodec.Encode(new CloseSession(new RequestId(MarkerClient, ++markers), 0, new SessionId(markers))),
            AfterEachStep = _ => Checker.AfterStep(),
        };
        var clientRandom = new Random(seed ^ 0xC11E47);
        for (var i = 0; i < options.Clients; i++)
        {
            clients.Add(new SimClient(this, i, new Random(clientRandom.Next())));
        }
    }

    public int Seed { get; }

    public LeaseSimOptions Options { get; }

    public double Epsilon => Options.Epsilon;

    public Simulation Sim { get; }

    public LeaseChecker Checker { get; }

    public IReadOnlyList<LeaseHost> Hosts => hosts;

    public IReadOnlyList<SimClient> Clients => clients;

    /// <summary>Real time left of the workload's current lull (<see cref="LeaseSimOptions.Lulls"/>), 0 outside one.</summary>
    public long IdleRemainingMicros =>
        Sim.IsQuiet ? 0 : Options.Lulls.Select(l => l.StartMicros + l.LengthMicros - Sim.NowMicros).Where((left, i) => Sim.NowMicros >= Options.Lulls[i].StartMicros && left > 0).DefaultIfEmpty().Max();

    public LeaseSimStats Run()
    {
        // The simulated SDKs' continuations must run inline in the simulation's steps: on a thread of its own, with
        // no synchronization context or task scheduler of a test framework's (either would move them to other threads,
        // out of the seeded order) and a stack deep enough that .NET never offloads a continuation to save it.
        LeaseSimStats? stats = null;
        Exception? failure = null;
        var thread = new Thread(
            () =>
            {
                try
                {
                    stats = RunClients();
                }
                catch (Exception e)
                {
                    failure = e;
                }
            },
            maxStackSize: 64 * 1024 * 1024);
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        }

        return stats!;
    }

    private LeaseSimStats RunClients()
    {
        foreach (var client in clients)
        {
            client.Process.Owner = Environment.CurrentManagedThreadId;
            client.Start();
        }

        if (Options.MeanHostFaultIntervalMicros > 0)
        {
            ScheduleHostFault();
        }

        var raft = Sim.Run();
        try
        {
            Checker.AtEnd();
            var state = ((LeaseApplier)Sim.Replicas.MaxBy(r => r.AppliedIndex)!.Applier).Machine;
            foreach (var client in clients)
            {
                client.CheckNothingLeft(state, graceMicros: 4_000_000);
            }
        }
        catch (InvariantViolation violation)
        {
            throw new SimulationFailedException(Seed, violation.Message, Sim.Trace.Format(), string.Format(System.Globalization.CultureInfo.InvariantCulture, Options.Raft.ReplayCommand, Seed));
        }

        Checker.Stats.Raft = raft;
        return Checker.Stats;
    }

    /// <summary>
    /// Now and then during the chaos, one replica's host pauses past the session TTLs, or gets a second live activation
    /// (the store fences the stale one; both receive messages and requests meanwhile).
    /// </summary>
    private void ScheduleHostFault() =>
        Sim.After(1 + (long)(-Options.MeanHostFaultIntervalMicros * Math.Log(1 - Sim.Random.NextDouble())), () =>
        {
            if (Sim.IsQuiet)
            {
                return;
            }

            var host = hosts[Sim.Random.Next(hosts.Length)];
            var chaosLeftMicros = Math.Max(0, Options.Raft.ChaosMicros - Sim.NowMicros);
            if (Sim.Random.Next(2) == 0)
            {
                host.Pause(Math.Min(chaosLeftMicros, 500_000 + Sim.Random.NextInt64(Options.MaxPauseMicros)));
            }
            else
            {
                // Orleans runs a second activation when silos cannot see each other, so a duplicate comes with a
                // partition that the duplicated replica bridges (see BridgeFor): the leader's silo keeps the old
                // activation, the silos cut off from it resolve the fresh one. (A duplicated leader, or one with no
                // leader about, gets no bridge.)
                var life = 200_000 + Sim.Random.NextInt64(Options.MaxDuplicateLifeMicros);
                var bridged = Sim.CurrentLeader() is { } leader && leader.Id != host.Id;
                if (host.Duplicate(life, bridged) && bridged)
                {
                    Sim.BridgeFor(host.Id, life);
                }
            }

            ScheduleHostFault();
        });

    /// <summary>128 bits from the seeded source (the grain draws them from the OS generator).</summary>
    public SessionId NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Sim.Random.NextBytes(bytes);
        return new SessionId(BinaryPrimitives.ReadUInt128LittleEndian(bytes));
    }

    /// <summary>A client's message to a replica, with the run's drops, duplicates and delays (none once quiet).</summary>
    public void SendToReplica(SimClient client, int replica, ClientSession? renews, Action<LeaseHost> deliver)
    {
        if (client.IsCutFrom(replica))
        {
            Trace(client, "call lost: cut off from", $"r{replica}");
            return;
        }

        Transmit(() => Arrive(replica, renews, deliver));
    }

    /// <summary>A call one replica's host passes on to another's (silo to silo): cut by partitions, with the run's drops, duplicates and delays.</summary>
    public void ForwardToReplica(int from, int to, ClientSession? renews, Action<LeaseHost> deliver)
    {
        if (Sim.CanSend(from, to))
        {
            Transmit(() => Arrive(to, renews, deliver));
        }
    }

    /// <summary>The reply to a forwarded call, back to the host that passed it on.</summary>
    public void ReplyToReplica(int from, int to, Action deliver)
    {
        if (Sim.CanSend(from, to))
        {
            Transmit(() =>
            {
                if (Sim.Replicas[to].IsUp)
                {
                    deliver();
                }
            });
        }
    }

    public void SendToClient(SimClient client, Action deliver) => Transmit(deliver);

    public void Trace(SimClient client, string what, object? detail = null) => Sim.Trace.Add(Sim.NowMicros, -1, $"c{client.Number} {what}", detail);

    /// <summary>A call reaches a replica's host: the directory picks the activation, and the checker notes a renewing arrival.</summary>
    private void Arrive(int replica, ClientSession? renews, Action<LeaseHost> deliver)
    {
        if (Sim.Replicas[replica].IsUp)
        {
            if (hosts[replica].RouteNextCall())
            {
                renews?.OnRenewingArrival(replica, Sim.NowMicros);
            }

            deliver(hosts[replica]);
        }
    }

    private void Transmit(Action deliver)
    {
        var options = Options.Raft;
        if (!Sim.IsQuiet && Sim.Random.NextDouble() < options.DropRate)
        {
            return;
        }

        var copies = !Sim.IsQuiet && Sim.Random.NextDouble() < options.DuplicateRate ? 2 : 1;
        for (var copy = 0; copy < copies; copy++)
        {
            var latency = options.MinLatencyMicros + Sim.Random.NextInt64(options.MaxLatencyMicros - options.MinLatencyMicros + 1);
            if (!Sim.IsQuiet && Sim.Random.NextDouble() < options.LongDelayRate)
            {
                latency += Sim.Random.NextInt64(options.LongDelayMaxMicros);
            }

            Sim.After(latency, deliver);
        }
    }
}

/// <summary>A session as one client sees it (its own deadline) and as the checker tracks it (renewing messages, end).</summary>
internal sealed class ClientSession(SimClient client, RequestId openRequest, long firstSentMicros, long firstSentLocalMicros)
{
    private readonly List<(int Replica, long AtMicros)> arrivals = [];

    public SimClient Client { get; } = client;

    public RequestId OpenRequest { get; } = openRequest;

    public long FirstSentMicros { get; } = firstSentMicros;

    /// <summary>The client's clock at the first send of its open (the SDK counts its deadline from there).</summary>
    public long FirstSentLocalMicros { get; } = firstSentLocalMicros;

    public long TtlMs => Client.TtlMs;

    /// <summary>Known to the client once the open is answered; to the checker once the open is applied.</summary>
    public SessionId? Id { get; set; }

    /// <summary>Real time at which the client's own clock reaches its deadline (from its last acknowledged renewal).</summary>
    public long DeadlineMicros { get; private set; } = long.MinValue;

    /// <summary>The last real time a renewing message (open or keepalive) of this session reached any replica.</summary>
    public long LastRenewingArrivalMicros { get; private set; }

    public long LastRenewingSendMicros { get; private set; }

    /// <summary>When the client gave the session up (deadline passed, told it expired, closed), or stopped for good.</summary>
    public long? OverMicros { get; private set; }

    public bool IsOver => OverMicros.HasValue;

    /// <summary>Applied anywhere: the open (the session exists), its expiry, its close.</summary>
    public long? CreatedMicros { get; set; }

    public long? ExpiredMicros { get; set; }

    public long? ClosedMicros { get; set; }

    public bool Ended => ExpiredMicros.HasValue || ClosedMicros.HasValue;

    public void Opened(SessionId id) => Id = id;

    /// <summary>The SDK's own deadline for this session (a timestamp of the client's clock), once the SDK uses it.</summary>
    public Func<long>? Believed { get; set; }

    /// <summary>
    /// The SDK acted on an acknowledged renewal: the checker's view of the client's deadline becomes the SDK's (read
    /// from the shipped code, not recomputed), in real time. It only moves forward.
    /// </summary>
    public void Acknowledge(long receivedLocalMicros, double epsilon)
    {
        if (Believed is { } believed)
        {
            DeadlineMicros = Math.Max(DeadlineMicros, Client.Clock.GlobalAt(believed()));
        }
    }

    public void OnRenewingSend(long now) => LastRenewingSendMicros = now;

    public void OnRenewingArrival(int replica, long now)
    {
        LastRenewingArrivalMicros = Math.Max(LastRenewingArrivalMicros, now);
        arrivals.Add((replica, now));
        if (arrivals.Count > 64)
        {
            arrivals.RemoveRange(0, 32);
        }
    }

    /// <summary>The last arrival of a renewing message of this session at <paramref name="replica"/> no later than <paramref name="before"/>.</summary>
    public long? LastArrivalAt(int replica, long before)
    {
        for (var i = arrivals.Count - 1; i >= 0; i--)
        {
            if (arrivals[i].Replica == replica && arrivals[i].AtMicros <= before)
            {
                return arrivals[i].AtMicros;
            }
        }

        return null;
    }

    public void Lost(long now) => OverMicros ??= now;

    public void StopRenewing(long now) => OverMicros ??= now;

    public override string ToString() => $"session {Id?.ToString()[..8] ?? "?"} of client {Client.Number} (ttl {TtlMs})";
}
