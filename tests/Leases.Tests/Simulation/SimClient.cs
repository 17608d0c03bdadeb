using System.Diagnostics.Metrics;
using LockService.Client;
using LockService.Client.Transport;
using LockService.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A client process on its own drifting clock running the shipped SDK (<see cref="LockServiceClient"/> over
/// <see cref="ReplicaRouter"/>): everything the SDK decides (sessions, keepalives, its lease deadline, routing,
/// probing, retries, request ids, withdrawing and cleaning up abandoned acquires) is the shipped code's, on a
/// <see cref="SimTimeProvider"/> and a <see cref="SimReplicaChannel"/>. What stays here is the workload and the
/// client faults: what to acquire (try or wait, exclusive or shared), how long to hold, cancelling an acquire or a
/// release at a random moment, pausing the process (possibly past its TTL), restarting it with a new identity
/// (which closes its sessions), or stopping it for good. The checker learns what the SDK believes: its sessions'
/// deadlines (read from the SDK), the grants it handed out, the releases it was asked to send.
/// </summary>
internal sealed class SimClient
{
    private static readonly IMeterFactory Meters = new SharedMeterFactory();

    private readonly LeaseWorld world;
    private readonly Random random;
    private readonly Dictionary<Protocol.RequestId, ClientSession> opens = [];
    private readonly Dictionary<Guid, ClientSession> sessions = [];
    private readonly Dictionary<RequestId, long> firstSentMicros = [];
    private readonly List<LockHandle> granted = [];
    private readonly Dictionary<string, int> acquiring = [];
    private readonly Dictionary<Guid, long> deadlinesSeen = [];
    private readonly long requestTimeoutMicros;
    private readonly long pollMicros;
    private LockServiceClient sdk;
    private long resumedMicros;
    private int cutReplica = -1;
    private long cutUntilMicros;

    public SimClient(LeaseWorld world, int number, Random random)
    {
        this.world = world;
        this.random = random;
        Number = number;
        var epsilon = world.Options.Epsilon;
        Clock = new VirtualClock(() => world.Sim.NowMicros, 1 - epsilon + 2 * epsilon * random.NextDouble(), random.NextInt64(1_000_000_000));
        TtlMs = world.Options.TtlsMs[random.Next(world.Options.TtlsMs.Length)];
        var fraction = world.Options.MinKeepAliveFraction + random.NextDouble() * (world.Options.MaxKeepAliveFraction - world.Options.MinKeepAliveFraction);
        KeepAliveMicros = (long)(TtlMs * 1000 * fraction);
        AbandonAtMicros = random.NextDouble() < world.Options.AbandonRate
            ? 500_000 + random.NextInt64(world.Options.Raft.ChaosMicros)
            : long.MaxValue;
        requestTimeoutMicros = 1_000_000 + random.NextInt64(3_000_000);
        pollMicros = 100_000 + random.NextInt64(1_500_000);
        Process = new SimProcess(world.Sim, Clock) { AfterStep = ObserveSessions };
        Time = new SimTimeProvider(Process);
        sdk = NewSdk();
    }

    public int Number { get; }

    /// <summary>Fixed rate within 1 ± ε, so a local deadline maps to one real time.</summary>
    public VirtualClock Clock { get; }

    public SimProcess Process { get; }

    public SimTimeProvider Time { get; }

    public long TtlMs { get; }

    public long KeepAliveMicros { get; }

    public long AbandonAtMicros { get; }

    /// <summary>The process stopped for good.</summary>
    public bool Abandoned => Process.IsStopped;

    public override string ToString() => $"client {Number}";

    public void Start()
    {
        Process.AfterLocal(random.NextInt64(1_000_000), () => Watch(RunAsync()));
        if (AbandonAtMicros != long.MaxValue)
        {
            world.Sim.At(AbandonAtMicros, Abandon);
        }

        SchedulePause();
        ScheduleGatewayCut();
    }

    // ---- What the channel reports (the wire), and what the SDK believes ----

    public void OnSending(Protocol.RequestId request) =>
        firstSentMicros.TryAdd(Hosting.LeaseIds.ToRequestId(request), world.Sim.NowMicros);

    /// <summary>An open-session request goes out: its first attempt makes the checker's session.</summary>
    public ClientSession OnOpenSending(Protocol.RequestId request)
    {
        OnSending(request);
        if (!opens.TryGetValue(request, out var session))
        {
            session = new ClientSession(this, Hosting.LeaseIds.ToRequestId(request), world.Sim.NowMicros, Clock.NowMicros);
            opens[request] = session;
            world.Checker.OnOpenRequested(session);
        }

        return session;
    }

    public ClientSession? SessionOf(Guid sessionId) => sessions.GetValueOrDefault(sessionId);

    public void OnOpenAnswered(ClientSession session, SessionReply reply)
    {
        if (reply.Status == ReplyStatus.Ok)
        {
            session.Opened(Hosting.LeaseIds.ToSessionId(reply.SessionId));
            sessions[reply.SessionId] = session;
        }
    }

    public void OnKeepAliveAnswered(ClientSession? session, SessionReply reply)
    {
        if (session is not null && reply.Status is ReplyStatus.SessionExpired or ReplyStatus.UnknownSession)
        {
            world.Checker.OnToldExpired(session);
        }
    }

    /// <summary>
    /// The end-of-run check that nothing an abandoned request did is left behind: every lock the service has a live
    /// session of this client hold (or wait for) is one the SDK handed out and has not released (or an acquire still
    /// under way), unless its request is too recent to have been cleaned up.
    /// </summary>
    public void CheckNothingLeft(LeaseStateMachine machine, long graceMicros)
    {
        var now = world.Sim.NowMicros;
        if (Abandoned || Process.IsPaused || now - resumedMicros < graceMicros)
        {
            return;
        }

        var live = sdk.Sessions.LiveSessions().Select(s => Hosting.LeaseIds.ToSessionId(s.Id)).ToHashSet();
        for (var i = 0; i < world.Options.Locks; i++)
        {
            var name = $"lock/{i}";
            if (machine.Describe(name) is not { } state)
            {
                continue;
            }

            foreach (var holder in state.Holders.Where(h => live.Contains(h.Session) && Old(h.Request)))
            {
                if (!granted.Any(h => h.Token == holder.Token && !h.IsReleased))
                {
                    throw new InvariantViolation($"left behind: {this} holds '{name}' (token {holder.Token}, request {holder.Request}) in a live session, but the SDK handed out no such lock");
                }
            }

            foreach (var waiter in state.Waiters.Where(w => live.Contains(w.Session) && Old(w.Request)))
            {
                if (acquiring.GetValueOrDefault(name) == 0)
                {
                    throw new InvariantViolation($"left behind: {this} waits for '{name}' (request {waiter.Request}) in a live session, but nobody is acquiring it");
                }
            }
        }

        bool Old(RequestId request) => firstSentMicros.TryGetValue(request, out var sent) && now - sent >= graceMicros;
    }

    /// <summary>
    /// After each step of the process: the sessions the SDK uses, and their deadlines, as the SDK holds them. A session
    /// the SDK took up is followed until it gives it up (its lost token); each move of its deadline is an
    /// acknowledged renewal the SDK acted on (the SDK may act on an answer later than it arrived, e.g. a leader's
    /// answer noticed after a probe of another replica, so the wire alone cannot say).
    /// </summary>
    private void ObserveSessions()
    {
        foreach (var believed in sdk.Sessions.LiveSessions())
        {
            if (sessions.GetValueOrDefault(believed.Id) is not { } session)
            {
                throw new InvariantViolation($"{this}'s SDK uses session {believed.Id}, which no open answer it received created");
            }

            if (session.Believed is null)
            {
                session.Believed = () => believed.Deadline;
                believed.LostToken.Register(() => session.Lost(world.Sim.NowMicros));
            }

            if (deadlinesSeen.GetValueOrDefault(believed.Id) != believed.Deadline)
            {
                deadlinesSeen[believed.Id] = believed.Deadline;
                world.Checker.OnRenewalAcknowledged(session, Clock.NowMicros);
            }
        }
    }

    // ---- The workload ----

    private async Task RunAsync()
    {
        while (true)
        {
            await Delay(random.NextInt64(400_000)).ConfigureAwait(false);
            if (world.IdleRemainingMicros > 0)
            {
                // The workload's lull: done for now, the process closes its sessions and comes back when it ends.
                await RestartAsync().ConfigureAwait(false);
                await Delay(world.IdleRemainingMicros).ConfigureAwait(false);
                continue;
            }

            if (random.NextDouble() < world.Options.CloseRate)
            {
                await RestartAsync().ConfigureAwait(false);
                continue;
            }

            await OneLockAsync().ConfigureAwait(false);
        }
    }

    private async Task OneLockAsync()
    {
        var name = $"lock/{random.Next(world.Options.Locks)}";
        var mode = random.NextDouble() < world.Options.SharedRate ? LockMode.Shared : LockMode.Exclusive;
        var wait = random.NextDouble() < world.Options.WaitRate ? TimeSpan.FromMilliseconds(100 + random.Next(3_000)) : TimeSpan.Zero;
        var semaphore = random.NextDouble() < world.Options.SemaphoreRate;
        if (semaphore)
        {
            // A permit of the semaphore "sem/N" (N permits): the checker knows N from the options.
            (name, mode) = ($"sem/{name[5..]}", LockMode.Shared);
        }

        LockHandle? handle;
        acquiring[name] = acquiring.GetValueOrDefault(name) + 1;
        using (var cancel = MaybeCancelled())
        {
            try
            {
                handle = semaphore
                    ? await sdk.TryAcquireSemaphoreAsync(name, world.Options.SemaphorePermits, wait, cancel.Token).ConfigureAwait(false)
                    : await sdk.TryAcquireAsync(name, wait, mode, cancel.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (Expected(e))
            {
                world.Trace(this, $"acquire ended: {e.GetType().Name}", name);
                return;
            }
            finally
            {
                acquiring[name]--;
            }
        }

        if (handle is null)
        {
            return;
        }

        granted.RemoveAll(h => h.IsReleased || h.IsLost);
        granted.Add(handle);
        var session = sessions.GetValueOrDefault(handle.Session.Id)
            ?? throw new InvariantViolation($"{this} was granted '{name}' in session {handle.Session.Id}, which no open it sent created");
        ObserveSessions();
        if (!handle.IsLost && world.Sim.NowMicros >= session.DeadlineMicros)
        {
            // After a pause past the TTL, the grant and the deadline timer wait together: the SDK must check its
            // deadline itself before it hands out a lock, not count on the timer having fired first.
            throw new InvariantViolation($"{this} was handed '{name}' (token {handle.Token}) after its own deadline {session.DeadlineMicros / 1000} ms");
        }

        world.Checker.OnGrantAcknowledged(session, name, mode, handle.Token, used: true);
        await HoldAsync(handle, name).ConfigureAwait(false);
        if (handle.IsLost)
        {
            return; // LostToken fired: a lost lock is not released
        }

        world.Checker.OnReleaseSent(session, name, handle.Token);
        using var cancelRelease = MaybeCancelled();
        try
        {
            await handle.ReleaseAsync(cancelRelease.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (Expected(e))
        {
            world.Trace(this, $"release ended: {e.GetType().Name}", name);
            await handle.DisposeAsync().ConfigureAwait(false); // as `await using` would: keeps releasing in the background
        }
    }

    /// <summary>
    /// Holds a granted lock for a while, now and then asking the service whether its token is still current (what a
    /// resource's fencing guard does): a linearizable read, sent where the SDK believes the leader is, so a stale
    /// leader cache reaches a deposed leader (the Raft checker's linearizable-reads check judges every such read).
    /// </summary>
    private async Task HoldAsync(LockHandle handle, string name)
    {
        var holdMicros = random.NextInt64(world.Options.MaxHoldMicros);
        var reads = random.NextDouble() < world.Options.ReadRate ? 1 + random.Next(3) : 0;
        for (var i = 0; i < reads && !handle.IsLost; i++)
        {
            await Delay(holdMicros / (reads + 1)).ConfigureAwait(false);
            try
            {
                await sdk.IsCurrentAsync(name, handle.Token, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (Expected(e))
            {
                world.Trace(this, $"is-current ended: {e.GetType().Name}", name);
            }
        }

        await Delay(holdMicros / (reads + 1)).ConfigureAwait(false);
    }

    /// <summary>The process restarts: the old SDK instance closes its sessions; the new one has a new identity.</summary>
    private async Task RestartAsync()
    {
        world.Trace(this, "restarts");
        var old = sdk;
        sdk = NewSdk();
        await old.DisposeAsync().ConfigureAwait(false);
    }

    private LockServiceClient NewSdk()
    {
        var options = new LockClientOptions
        {
            SessionTtl = TimeSpan.FromMilliseconds(TtlMs),
            KeepAliveInterval = TimeSpan.FromMicroseconds(KeepAliveMicros),
            RequestTimeout = TimeSpan.FromMicroseconds(requestTimeoutMicros),
            CallTimeout = TimeSpan.FromMicroseconds(world.Options.CallTimeoutMicros),
            WaitPollInterval = TimeSpan.FromMicroseconds(pollMicros),
            ClockRateBound = world.Options.Epsilon,
            LeaseSafetyMargin = TimeSpan.Zero, // the tightest deadline the SDK allows: the checker's bound
            ReleaseAbandonedHandles = false, // finalizers run when the GC decides: not replayable from a seed
        };
        var transport = new ReplicaRouter(new SimReplicaChannel(world, this), options, Time, NullLogger.Instance);
        return new LockServiceClient(transport, options, Time, meterFactory: Meters, random: new Random(random.Next()), clientId: NewGuid());
    }

    // ---- Client faults ----

    /// <summary>Cancels the operation at a random moment (before, while or after it is sent), at the workload's rate; none once the run is quiet.</summary>
    private CancellationTokenSource MaybeCancelled() =>
        !world.Sim.IsQuiet && random.NextDouble() < world.Options.CancelRate
            ? new CancellationTokenSource(TimeSpan.FromMicroseconds(random.NextInt64(2_000_000)), Time)
            : new CancellationTokenSource();

    /// <summary>Now and then the process pauses (GC, swapped out, a stopped VM), maybe past its TTL; none once the run is quiet.</summary>
    private void SchedulePause() =>
        world.Sim.After(KeepAliveMicros, () =>
        {
            if (Abandoned || world.Sim.IsQuiet)
            {
                return;
            }

            if (!Process.IsPaused && random.NextDouble() < world.Options.StallRate)
            {
                var pause = random.NextInt64(2 * TtlMs * 1000);
                world.Trace(this, $"pauses {pause / 1000} ms");
                Process.Pause(pause);
                world.Sim.After(pause, () => resumedMicros = world.Sim.NowMicros);
            }

            SchedulePause();
        });

    /// <summary>
    /// Whether this client's calls to <paramref name="replica"/> are lost: an Orleans client sends every call to one
    /// grain through one gateway, so a paused or cut-off gateway silo silences that replica for this client alone,
    /// while the replicas still reach it silo to silo (the case forwarding through a follower exists for).
    /// </summary>
    public bool IsCutFrom(int replica) => replica == cutReplica && world.Sim.NowMicros < cutUntilMicros && !world.Sim.IsQuiet;

    /// <summary>Now and then the client's path to the current leader breaks for 0.3–3 s (its gateway silo paused); none once the run is quiet.</summary>
    private void ScheduleGatewayCut() =>
        world.Sim.After(KeepAliveMicros, () =>
        {
            if (Abandoned || world.Sim.IsQuiet)
            {
                return;
            }

            if (world.Sim.NowMicros >= cutUntilMicros && random.NextDouble() < world.Options.GatewayCutRate)
            {
                cutReplica = world.Sim.CurrentLeader()?.Id ?? random.Next(world.Sim.Replicas.Count);
                cutUntilMicros = world.Sim.NowMicros + 300_000 + random.NextInt64(2_700_000);
                world.Trace(this, $"cut off from r{cutReplica} until {cutUntilMicros / 1000} ms");
            }

            ScheduleGatewayCut();
        });

    /// <summary>The process stops for good: no more requests, keepalives or releases (what is in flight still lands).</summary>
    private void Abandon()
    {
        Process.Stop();
        foreach (var session in opens.Values)
        {
            session.StopRenewing(world.Sim.NowMicros);
        }

        world.Trace(this, "abandons");
    }

    // ---- Helpers ----

    private Task Delay(long localMicros) => Time.DelayAsync(TimeSpan.FromMicroseconds(localMicros), CancellationToken.None);

    private void Watch(Task run) =>
        run.ContinueWith(t => Process.Fail(t.Exception!.GetBaseException()), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static bool Expected(Exception e) =>
        e is LockServiceException or TimeoutException or OperationCanceledException or ObjectDisposedException;

    private Guid NewGuid()
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>One meter for every simulated SDK (an SDK without a factory would create, and keep, a meter each).</summary>
    private sealed class SharedMeterFactory : IMeterFactory
    {
        private readonly Meter meter = new("LockService.Client.Simulation");

        public Meter Create(MeterOptions options) => meter;

        public void Dispose() => meter.Dispose();
    }
}
