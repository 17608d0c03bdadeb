using LockService.Client;
using LockService.Protocol;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A client process on its own drifting clock, behaving like the SDK where the lease is concerned: opens a session
/// and counts its own deadline from the first send of the open; renews every keepalive interval and counts
/// <see cref="LeaseClock.ClientDeadline"/> from the send time of each acknowledged keepalive; gives the session up
/// (closing it) when that deadline passes or the service says it expired. Meanwhile it acquires locks (try or wait,
/// exclusive or shared), holds them, releases them, withdraws waits it no longer wants (CancelWait, then probes the
/// acquire and releases a late grant), sometimes closes its session, stalls, or stops for good. Every request is
/// retried with the same request id at the replica the last answer hinted at, or the next one.
/// </summary>
internal sealed class SimClient
{
    private readonly LeaseWorld world;
    private readonly Random random;
    private readonly SortedSet<long> outstanding = [];
    private long nextSequence = 1;
    private int target;

    public SimClient(LeaseWorld world, int number, Random random)
    {
        this.world = world;
        this.random = random;
        Number = number;
        var bytes = new byte[16];
        random.NextBytes(bytes);
        Guid = new Guid(bytes);
        Id = ClientId.FromGuid(Guid);
        var epsilon = world.Options.Epsilon;
        Clock = new VirtualClock(() => world.Sim.NowMicros, 1 - epsilon + 2 * epsilon * random.NextDouble(), random.NextInt64(1_000_000_000));
        TtlMs = world.Options.TtlsMs[random.Next(world.Options.TtlsMs.Length)];
        var fraction = world.Options.MinKeepAliveFraction + random.NextDouble() * (world.Options.MaxKeepAliveFraction - world.Options.MinKeepAliveFraction);
        KeepAliveMicros = (long)(TtlMs * 1000 * fraction);
        target = random.Next(world.Sim.Replicas.Count);
        AbandonAtMicros = random.NextDouble() < world.Options.AbandonRate
            ? 500_000 + random.NextInt64(world.Options.Raft.ChaosMicros)
            : long.MaxValue;
    }

    public int Number { get; }

    public Guid Guid { get; }

    public ClientId Id { get; }

    /// <summary>Fixed rate within 1 ± ε, so a local deadline maps to one real time.</summary>
    public VirtualClock Clock { get; }

    public long TtlMs { get; }

    public long KeepAliveMicros { get; }

    public long AbandonAtMicros { get; }

    public bool Abandoned { get; private set; }

    public ClientSession? Session { get; private set; }

    private long AnsweredBelow => outstanding.Count > 0 ? outstanding.Min : nextSequence;

    public override string ToString() => $"client {Number}";

    public void Start()
    {
        AfterLocal(random.NextInt64(1_000_000), OpenSession);
        if (AbandonAtMicros != long.MaxValue)
        {
            world.Sim.At(AbandonAtMicros, Abandon);
        }
    }

    /// <summary>The process stops for good: no more requests, keepalives or releases (what is in flight still lands).</summary>
    private void Abandon()
    {
        Abandoned = true;
        Session?.StopRenewing(world.Sim.NowMicros);
        world.Trace(this, "abandons", Session);
    }

    // ---- Sessions ----

    private void OpenSession()
    {
        if (Abandoned)
        {
            return;
        }

        var request = NextRequest();
        var session = new ClientSession(this, request, world.Sim.NowMicros, Clock.NowMicros);
        Session = session;
        world.Checker.OnOpenRequested(session);
        Call<SessionReply>(
            "open",
            session,
            renews: session,
            (host, reply) => host.OpenSession(new OpenSessionRequest(Wire(request), TtlMs, AnsweredBelow), reply),
            r => (r.Status, r.LeaderHint),
            (reply, _) =>
            {
                Complete(request);
                if (reply.Status == ReplyStatus.Ok)
                {
                    session.Opened(Hosting.LeaseIds.ToSessionId(reply.SessionId));
                    world.Checker.OnRenewalAcknowledged(session, session.FirstSentLocalMicros);
                    ScheduleDeadlineCheck(session);
                    AfterLocal(KeepAliveMicros, () => KeepAlive(session));
                    NextOperation(session);
                }
                else
                {
                    world.Trace(this, $"open refused: {reply.Status}", reply.Message);
                    AfterLocal(200_000, OpenSession);
                }
            });
    }

    private void KeepAlive(ClientSession session)
    {
        if (Abandoned || session.IsOver)
        {
            return;
        }

        if (random.NextDouble() < world.Options.StallRate)
        {
            // A long pause (GC, swapped out): the next keepalive is late, maybe past the deadline.
            var stall = random.NextInt64(2 * TtlMs * 1000);
            world.Trace(this, $"stalls {stall / 1000} ms", session);
            AfterLocal(stall, () => SendKeepAlive(session));
            return;
        }

        SendKeepAlive(session);
    }

    private void SendKeepAlive(ClientSession session)
    {
        if (Abandoned || session.IsOver)
        {
            return;
        }

        Call<SessionReply>(
            "keepalive",
            session,
            renews: session,
            (host, reply) => host.KeepAlive(new KeepAliveRequest(Hosting.LeaseIds.ToGuid(session.Id!.Value)), reply),
            r => (r.Status, r.LeaderHint),
            (reply, attempt) =>
            {
                if (reply.Status == ReplyStatus.Ok)
                {
                    world.Checker.OnRenewalAcknowledged(session, attempt.SentLocalMicros);
                    AfterLocal(KeepAliveMicros, () => KeepAlive(session));
                }
                else if (reply.Status is ReplyStatus.SessionExpired or ReplyStatus.UnknownSession)
                {
                    world.Checker.OnToldExpired(session);
                    Lose(session, "the service says it expired");
                }
                else
                {
                    AfterLocal(KeepAliveMicros, () => KeepAlive(session));
                }
            });
    }

    private void ScheduleDeadlineCheck(ClientSession session) =>
        world.Sim.At(session.DeadlineMicros, () =>
        {
            if (session.IsOver)
            {
                return;
            }

            if (world.Sim.NowMicros >= session.DeadlineMicros)
            {
                Lose(session, "its own deadline passed");
            }
            else
            {
                ScheduleDeadlineCheck(session);
            }
        });

    /// <summary>The SDK's session loss: stop using it (and its locks), close it in the background, open a new one.</summary>
    private void Lose(ClientSession session, string why)
    {
        if (session.IsOver)
        {
            return;
        }

        session.Lost(world.Sim.NowMicros);
        world.Trace(this, $"loses its session ({why})", session);
        if (Abandoned)
        {
            return;
        }

        if (why.Contains("deadline", StringComparison.Ordinal))
        {
            CloseSession(session, reopen: false);
        }

        if (Session == session)
        {
            AfterLocal(random.NextInt64(300_000), OpenSession);
        }
    }

    private void CloseSession(ClientSession session, bool reopen)
    {
        session.Lost(world.Sim.NowMicros);
        var request = NextRequest();
        Call<SessionReply>(
            "close",
            null,
            renews: null,
            (host, reply) => host.CloseSession(new CloseSessionRequest(Wire(request), Hosting.LeaseIds.ToGuid(session.Id!.Value), AnsweredBelow), reply),
            r => (r.Status, r.LeaderHint),
            (_, _) =>
            {
                Complete(request);
                if (reopen && Session == session)
                {
                    OpenSession();
                }
            });
    }

    // ---- Locks ----

    private void NextOperation(ClientSession session)
    {
        if (Abandoned || session.IsOver)
        {
            return;
        }

        if (random.NextDouble() < world.Options.CloseRate)
        {
            world.Trace(this, "closes its session", session);
            CloseSession(session, reopen: true);
            return;
        }

        var name = $"lock/{random.Next(world.Options.Locks)}";
        var mode = random.NextDouble() < world.Options.SharedRate ? LockMode.Shared : LockMode.Exclusive;
        var waitMs = random.NextDouble() < world.Options.WaitRate ? 100 + random.Next(3_000) : 0;
        var pollMs = 100 + random.Next(1_500);
        var permits = 0;
        if (random.NextDouble() < world.Options.SemaphoreRate)
        {
            (name, mode, permits) = ($"sem/{name[5..]}", LockMode.Shared, world.Options.SemaphorePermits);
        }

        var request = new AcquireRequest(
            Wire(NextRequest()), Hosting.LeaseIds.ToGuid(session.Id!.Value), name, mode, waitMs, pollMs, MaxCount: permits);
        // The client's own patience for a wait: about the wait it asked for, on its clock.
        var giveUpAtLocal = waitMs > 0 ? Clock.NowMicros + waitMs * 1000 * (random.Next(3) == 0 ? 1 : 2) / 2 : long.MaxValue;
        Acquire(session, request, giveUpAtLocal);
    }

    private void Acquire(ClientSession session, AcquireRequest request, long giveUpAtLocal)
    {
        Call<AcquireReply>(
            "acquire",
            session,
            renews: null,
            (host, reply) => host.Acquire(request with { AnsweredBelow = AnsweredBelow }, reply),
            r => (r.Status, r.LeaderHint),
            (reply, _) =>
            {
                switch (reply.Status)
                {
                    case ReplyStatus.Granted:
                        Complete(request.Request.Sequence);
                        world.Checker.OnGrantAcknowledged(session, request.Name, request.Mode, reply.Token, used: true);
                        Hold(session, request, reply.Token);
                        break;
                    case ReplyStatus.Queued when Clock.NowMicros < giveUpAtLocal:
                        Acquire(session, request, giveUpAtLocal); // re-issue: keeps the place in the queue
                        break;
                    case ReplyStatus.Queued:
                        Withdraw(session, request, rounds: 3);
                        break;
                    case ReplyStatus.UnknownSession or ReplyStatus.SessionExpired:
                        Complete(request.Request.Sequence);
                        Lose(session, "acquire says the session is unknown");
                        break;
                    default:
                        Complete(request.Request.Sequence);
                        Think(session);
                        break;
                }
            });
    }

    /// <summary>The SDK's WithdrawInBackground: CancelWait, then the acquire re-issued; a grant that came first is released.</summary>
    private void Withdraw(ClientSession session, AcquireRequest acquire, int rounds)
    {
        var cancel = NextRequest();
        Call<ReleaseReply>(
            "cancel",
            session,
            renews: null,
            (host, reply) => host.CancelWait(
                new CancelWaitRequest(Wire(cancel), acquire.SessionId, acquire.Name, acquire.Request, AnsweredBelow), reply),
            r => (r.Status, r.LeaderHint),
            (_, _) =>
            {
                Complete(cancel);
                Call<AcquireReply>(
                    "probe",
                    session,
                    renews: null,
                    (host, reply) => host.Acquire(acquire with { AnsweredBelow = AnsweredBelow }, reply),
                    r => (r.Status, r.LeaderHint),
                    (probe, _) =>
                    {
                        if (probe.Status == ReplyStatus.Granted)
                        {
                            world.Checker.OnGrantAcknowledged(session, acquire.Name, acquire.Mode, probe.Token, used: false);
                            Complete(acquire.Request.Sequence);
                            Release(session, acquire.Name, probe.Token, then: () => Think(session));
                        }
                        else if (probe.Status == ReplyStatus.Queued && rounds > 1)
                        {
                            Withdraw(session, acquire, rounds - 1);
                        }
                        else
                        {
                            Complete(acquire.Request.Sequence);
                            Think(session);
                        }
                    });
            });
    }

    private void Hold(ClientSession session, AcquireRequest request, FencingToken token)
    {
        AfterLocal(random.NextInt64(world.Options.MaxHoldMicros), () =>
        {
            if (Abandoned || session.IsOver)
            {
                return; // a crashed client releases nothing; a lost session's locks go with it
            }

            world.Checker.OnReleaseSent(session, request.Name, token);
            Release(session, request.Name, token, then: () => Think(session));
        });
    }

    private void Release(ClientSession session, string name, FencingToken token, Action then)
    {
        var request = NextRequest();
        Call<ReleaseReply>(
            "release",
            session,
            renews: null,
            (host, reply) => host.Release(new ReleaseRequest(Wire(request), Hosting.LeaseIds.ToGuid(session.Id!.Value), name, token, AnsweredBelow), reply),
            r => (r.Status, r.LeaderHint),
            (_, _) =>
            {
                Complete(request);
                then();
            });
    }

    private void Think(ClientSession session) => AfterLocal(random.NextInt64(400_000), () => NextOperation(session));

    // ---- Requests ----

    private Leases.RequestId NextRequest()
    {
        var sequence = nextSequence++;
        outstanding.Add(sequence);
        return new Leases.RequestId(Id, (ulong)sequence);
    }

    private void Complete(Leases.RequestId request) => Complete((long)request.Sequence);

    private void Complete(long sequence) => outstanding.Remove(sequence);

    private Protocol.RequestId Wire(Leases.RequestId request) => new(Guid, (long)request.Sequence);

    /// <summary>
    /// One request, retried until it gets a final answer: an attempt goes to <c>target</c>; NotLeader moves to the
    /// hint (or the next replica), Unavailable and Overloaded back off, silence past the call timeout moves on. Any
    /// attempt's final answer completes the call (the service answers retries from memory). Stops when the client
    /// stops or the session it belongs to is over.
    /// </summary>
    private void Call<TReply>(
        string what,
        ClientSession? session,
        ClientSession? renews,
        Action<LeaseHost, Action<TReply>> invoke,
        Func<TReply, (ReplyStatus Status, int Hint)> statusOf,
        Action<TReply, Attempt> onAnswer)
    {
        var call = new CallState();
        SendAttempt();

        void SendAttempt()
        {
            if (call.Done || Abandoned || (session is not null && session.IsOver && what != "close"))
            {
                return;
            }

            var attempt = new Attempt(++call.Attempts, world.Sim.NowMicros, Clock.NowMicros);
            call.Current = attempt.Number;
            renews?.OnRenewingSend(world.Sim.NowMicros);
            var to = target;
            world.Trace(this, what, new Sent(attempt.Number, to, session));
            world.SendToReplica(this, to, renews, host => invoke(host, reply => world.SendToClient(this, () => OnReply(attempt, reply))));
            AfterLocal(world.Options.CallTimeoutMicros, () =>
            {
                if (!call.Done && call.Current == attempt.Number)
                {
                    target = (to + 1) % world.Sim.Replicas.Count;
                    SendAttempt();
                }
            });
        }

        void OnReply(Attempt attempt, TReply reply)
        {
            if (call.Done || Abandoned)
            {
                return;
            }

            var (status, hint) = statusOf(reply);
            world.Trace(this, what, reply);
            switch (status)
            {
                case ReplyStatus.NotLeader:
                case ReplyStatus.Unavailable:
                case ReplyStatus.Overloaded:
                    if (attempt.Number != call.Current)
                    {
                        return; // a later attempt is under way
                    }

                    target = status == ReplyStatus.NotLeader && hint >= 0 && hint != target ? hint : (target + 1) % world.Sim.Replicas.Count;
                    call.Current = -1;
                    AfterLocal(status == ReplyStatus.NotLeader && hint >= 0 ? 1_000 : 20_000 + random.NextInt64(80_000), SendAttempt);
                    return;
                default:
                    call.Done = true;
                    onAnswer(reply, attempt);
                    return;
            }
        }
    }

    private void AfterLocal(long localMicros, Action action)
    {
        var at = Clock.GlobalAt(Clock.NowMicros + localMicros);
        world.Sim.At(at, () =>
        {
            if (!Abandoned)
            {
                action();
            }
        });
    }

    private sealed class CallState
    {
        public bool Done { get; set; }

        public int Attempts { get; set; }

        public int Current { get; set; }
    }

    private sealed record Sent(int Attempt, int To, ClientSession? Session)
    {
        public override string ToString() => $"attempt {Attempt} to r{To}" + (Session is null ? "" : $" ({Session})");
    }

    internal readonly record struct Attempt(int Number, long SentMicros, long SentLocalMicros);
}
