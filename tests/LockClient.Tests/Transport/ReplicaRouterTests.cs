using LockService.Client.Transport;
using LockService.Protocol;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace LockService.Client.Tests.Transport;

public sealed class ReplicaRouterTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeResolver _grains = new(groups: 2, replicasPerGroup: 3);
    private readonly ReplicaRouter _transport;

    public ReplicaRouterTests()
    {
        _transport = new ReplicaRouter(new OrleansReplicaChannel(_grains), new LockClientOptions { CallTimeout = TimeSpan.FromSeconds(5) }, _time, NullLogger.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_group_of_a_name_follows_the_shared_hash()
    {
        Assert.Equal(LockGroups.GroupOf("orders/42", 2), await _transport.GetGroupAsync("orders/42", Ct));
    }

    [Fact]
    public async Task A_NotLeader_hint_is_followed_and_the_leader_is_remembered()
    {
        _grains.Replicas[1][0].Behaviour = FakeReplica.NotLeader(2);
        _grains.Replicas[1][1].Behaviour = FakeReplica.NotLeader(2);

        var reply = await _transport.DescribeAsync(1, "x", Ct);
        await _transport.DescribeAsync(1, "x", Ct);

        Assert.Equal(ReplyStatus.Ok, reply.Status);
        Assert.Equal(1, _grains.Replicas[1][0].Calls);
        Assert.Equal(0, _grains.Replicas[1][1].Calls);
        Assert.Equal(2, _grains.Replicas[1][2].Calls);
        Assert.Equal(2, _transport.LeaderGuess(1));
        Assert.Equal(0, _transport.LeaderGuess(0));
    }

    [Fact]
    public async Task A_rejected_call_moves_on_to_the_next_replica()
    {
        _grains.Replicas[0][0].Behaviour = FakeReplica.Throws(new SiloUnavailableException("silo is dead"));

        var reply = await _transport.AcquireAsync(0, Request(), Ct);

        Assert.Equal(ReplyStatus.Granted, reply.Status);
        Assert.Equal(1, _transport.LeaderGuess(0));
    }

    [Fact]
    public async Task An_unanswered_call_times_out_and_moves_on_to_the_next_replica()
    {
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();

        var call = _transport.KeepAliveAsync(0, new KeepAliveRequest(Guid.NewGuid()), Ct);
        await Harness(call);

        Assert.Equal(ReplyStatus.Ok, (await call).Status);
        Assert.Equal(1, _grains.Replicas[0][1].Calls);
    }

    [Fact]
    public async Task A_silent_leader_is_bypassed_as_soon_as_a_follower_names_the_new_leader()
    {
        // The leader's silo died with the call in flight: it never answers. A follower knows the new leader.
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = FakeReplica.NotLeader(2);

        var started = _time.GetTimestamp();
        var call = _transport.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);
        await Harness(call);

        Assert.Equal(ReplyStatus.Ok, (await call).Status);
        Assert.True(_time.GetElapsedTime(started) < TimeSpan.FromSeconds(5) / 2, $"took {_time.GetElapsedTime(started)} of fake time");
        Assert.Equal(2, _transport.LeaderGuess(0));
        Assert.Equal(1, _grains.Replicas[0][0].Calls);
    }

    [Fact]
    public async Task A_leader_that_its_followers_name_but_this_client_cannot_reach_is_reached_through_a_follower()
    {
        // The leader lives, but every call of this client to it goes through a gateway silo that is paused.
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = FakeReplica.NotLeader(0);
        _grains.Replicas[0][1].WhenForwarded = () => Task.FromResult<object>(ReplyStatus.Ok);
        _grains.Replicas[0][2].Behaviour = FakeReplica.NotLeader(0);
        _grains.Replicas[0][2].WhenForwarded = () => Task.FromResult<object>(ReplyStatus.Ok);

        var started = _time.GetTimestamp();
        var call = _transport.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);
        await Harness(call);

        Assert.Equal(ReplyStatus.Ok, (await call).Status);
        Assert.True(_time.GetElapsedTime(started) < TimeSpan.FromSeconds(5) / 2, $"took {_time.GetElapsedTime(started)} of fake time");
        Assert.Equal(1, _grains.Replicas[0].Sum(r => r.ForwardRequests));
        Assert.Equal(0, _transport.LeaderGuess(0)); // still the leader: only the path to it was broken
    }

    [Fact]
    public async Task A_client_whose_gateway_for_every_replica_is_paused_reaches_them_through_other_gateways()
    {
        // Every replica grain of this client shares one gateway silo, which is paused; the replicas live elsewhere and
        // replica 0 leads. The direct calls hang; probes and the forward go through entry grains (other gateways).
        _grains.DirectPathPaused = true;
        _grains.Replicas[0][1].Behaviour = FakeReplica.NotLeader(0);
        _grains.Replicas[0][1].WhenForwarded = () => _grains.Replicas[0][0].Behaviour();
        _grains.Replicas[0][2].Behaviour = FakeReplica.NotLeader(0);
        _grains.Replicas[0][2].WhenForwarded = () => _grains.Replicas[0][0].Behaviour();

        var started = _time.GetTimestamp();
        var call = _transport.AcquireAsync(0, Request(), Ct);
        await Harness(call);

        Assert.True(call.IsCompleted, "no answer in 20 s of fake time");
        Assert.Equal(ReplyStatus.Granted, (await call).Status);
        Assert.True(_time.GetElapsedTime(started) < TimeSpan.FromSeconds(5) / 2, $"took {_time.GetElapsedTime(started)} of fake time");
        Assert.Equal(1, _grains.Replicas[0].Sum(r => r.ForwardRequests));
        Assert.True(_grains.EntryKeys.Count >= 2, $"{_grains.EntryKeys.Count} calls through entries");

        // Answered within half the call timeout: that could have been a slow leader, so the next call goes direct again,
        // and this time the detour is slow too. Silence past half the call timeout while the followers still name the
        // leader means the path is broken: later calls avoid the direct path at once.
        Func<Task<object>> slowForward = async () =>
        {
            await Task.Delay(TimeSpan.FromSeconds(2), _time, Ct);
            return await _grains.Replicas[0][0].Behaviour();
        };
        _grains.Replicas[0][1].WhenForwarded = slowForward;
        _grains.Replicas[0][2].WhenForwarded = slowForward;
        var slow = _transport.AcquireAsync(0, Request(), Ct);
        await Harness(slow);
        Assert.True(slow.IsCompleted, "no answer in 20 s of fake time");
        Assert.Equal(ReplyStatus.Granted, (await slow).Status);
        var forwards = _grains.Replicas[0].Sum(r => r.ForwardRequests);

        started = _time.GetTimestamp();
        var next = _transport.AcquireAsync(0, Request(), Ct);
        await Harness(next, step: TimeSpan.FromMilliseconds(10));
        Assert.Equal(ReplyStatus.Granted, (await next).Status);
        Assert.True(_time.GetElapsedTime(started) < TimeSpan.FromMilliseconds(100), $"took {_time.GetElapsedTime(started)} of fake time");
        Assert.Equal(forwards, _grains.Replicas[0].Sum(r => r.ForwardRequests)); // no forward: it went straight in

        // Once the suspicion lapses, calls go direct again.
        _grains.DirectPathPaused = false;
        _time.Advance(ReplicaRouter.DirectSuspectFor);
        var entryCalls = _grains.EntryKeys.Count;
        Assert.Equal(ReplyStatus.Granted, (await _transport.AcquireAsync(0, Request(), Ct)).Status);
        Assert.Equal(entryCalls, _grains.EntryKeys.Count);
    }

    [Fact]
    public async Task A_paused_leader_costs_the_election_and_a_probe_period_not_the_call_timeout()
    {
        // The leader's silo is paused with the call in flight. Its followers still name it at first, and what one of
        // them forwards to it hangs as well; 600 ms in, replica 2 is elected. The forward must not hold the probes up.
        var (router, started) = LeaderSilentThenReplica2ElectedAt600Ms();

        var call = router.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);
        await Harness(call, step: TimeSpan.FromMilliseconds(10));

        Assert.Equal(ReplyStatus.Ok, (await call).Status);
        var took = _time.GetElapsedTime(started);
        Assert.True(took < TimeSpan.FromMilliseconds(900), $"took {took} of fake time; the election was at 600 ms, probes go every 125 ms, the call timeout is 1 s");
        Assert.Equal(2, router.LeaderGuess(0));
        Assert.True(_grains.Replicas[0].Sum(r => r.ForwardRequests) >= 1, "the followers named the silent replica, so one should have been asked to forward");
    }

    [Fact]
    public async Task A_wait_poll_the_leader_holds_is_probed_only_as_often_as_a_follower_could_name_a_new_leader()
    {
        // The leader holds a waiting acquire for 950 ms of its 1 s poll and then grants it; the followers vouch for it
        // all along. Every 125 ms (as for a silent call that is not held) this was 6 probes on the followers per poll.
        var router = new ReplicaRouter(new OrleansReplicaChannel(_grains), new LockClientOptions { CallTimeout = TimeSpan.FromSeconds(1) }, _time, NullLogger.Instance);
        _grains.Replicas[0][0].Behaviour = async () =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(950), _time);
            return ReplyStatus.Ok;
        };
        _grains.Replicas[0][0].WhenForwarded = _grains.Replicas[0][0].Behaviour;
        _grains.Replicas[0][1].Behaviour = FakeReplica.NotLeader(0);
        _grains.Replicas[0][1].WhenForwarded = FakeReplica.Hangs();
        _grains.Replicas[0][2].Behaviour = FakeReplica.NotLeader(0);
        _grains.Replicas[0][2].WhenForwarded = FakeReplica.Hangs();

        var call = router.AcquireAsync(0, new AcquireRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", LockMode.Exclusive, 30_000, 1000), Ct);
        await Harness(call, step: TimeSpan.FromMilliseconds(5));

        Assert.Equal(ReplyStatus.Granted, (await call).Status);
        var followers = _grains.Replicas[0].Skip(1).ToArray();
        var probes = followers.Sum(r => r.Calls - r.ForwardRequests);
        Assert.Equal(3, probes); // at 250, 500 and 750 ms
        Assert.Equal(1, followers.Sum(r => r.ForwardRequests)); // one forward still races the poll, for a gateway that is paused
        Assert.Equal(0, router.LeaderGuess(0));
    }

    [Fact]
    public async Task A_new_leader_elected_while_a_wait_poll_is_held_is_found_by_the_next_probe()
    {
        // The leader's silo dies with the poll held; 600 ms in, replica 2 is elected. Slower probes of a held poll must
        // still find it within a probe period, not at the end of the poll.
        var (router, started) = LeaderSilentThenReplica2ElectedAt600Ms();

        var call = router.AcquireAsync(0, new AcquireRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", LockMode.Exclusive, 30_000, 1000), Ct);
        await Harness(call, step: TimeSpan.FromMilliseconds(5));

        Assert.Equal(ReplyStatus.Granted, (await call).Status);
        var took = _time.GetElapsedTime(started);
        Assert.True(took <= TimeSpan.FromMilliseconds(850), $"took {took} of fake time; the election was at 600 ms and probes of a held poll go every 250 ms");
        Assert.Equal(2, router.LeaderGuess(0));
    }

    [Fact]
    public async Task A_probe_that_a_new_leader_holds_as_a_wait_poll_is_the_call_its_grant_answers()
    {
        // The leader's silo is paused with a wait poll in flight, and this client cannot reach the other follower
        // either. Replica 2 is elected 300 ms in and holds every poll of the wait, as a leader does, until the lock frees
        // at 1,000 ms, when it answers them all; a poll after that is answered at once. Its probe at 625 ms outlives
        // its 125 ms probe period: dropped, the client learned of its grant only at its next probe of replica 2 (1,125
        // ms), and meanwhile held a lock it did not know of.
        var router = new ReplicaRouter(new OrleansReplicaChannel(_grains), new LockClientOptions { CallTimeout = TimeSpan.FromSeconds(1) }, _time, NullLogger.Instance);
        var started = _time.GetTimestamp();
        var freed = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][2].Behaviour = () =>
            _time.GetElapsedTime(started) < TimeSpan.FromMilliseconds(300) ? FakeReplica.NotLeader(0)() : freed.Task;
        _grains.Replicas[0][2].WhenForwarded = FakeReplica.Hangs();

        var call = router.AcquireAsync(0, new AcquireRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", LockMode.Exclusive, 30_000, 1000), Ct);
        for (var i = 0; i < 400 && !call.IsCompleted; i++)
        {
            await Task.Delay(1, Ct);
            _time.Advance(TimeSpan.FromMilliseconds(5));
            if (_time.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(1000))
            {
                freed.TrySetResult(ReplyStatus.Ok);
            }
        }

        Assert.Equal(ReplyStatus.Granted, (await call).Status);
        var took = _time.GetElapsedTime(started);
        Assert.True(took <= TimeSpan.FromMilliseconds(1010), $"took {took} of fake time; the grant was at 1,000 ms");
        Assert.Equal(2, router.LeaderGuess(0));
    }

    [Fact]
    public async Task After_a_silent_leader_the_new_leader_is_called_through_another_gateway_as_well()
    {
        // The leader's silo is paused, and it is also this client's gateway for replica 2's grain: direct calls to
        // replica 2 hang too. Replica 2 is elected 450 ms in. Found by the 500 ms probe, it must be reached at once,
        // not after another probe period and a forward through a follower.
        var router = new ReplicaRouter(new OrleansReplicaChannel(_grains), new LockClientOptions { CallTimeout = TimeSpan.FromSeconds(1) }, _time, NullLogger.Instance);
        var started = _time.GetTimestamp();
        bool Elected() => _time.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(450);
        _grains.DirectPathPausedTo.Add((0, 2));
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][0].WhenForwarded = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = () => FakeReplica.NotLeader(Elected() ? 2 : -1)();
        _grains.Replicas[0][1].WhenForwarded = () => Elected() ? _grains.Replicas[0][2].Behaviour() : FakeReplica.Hangs()();
        _grains.Replicas[0][2].Behaviour = () => Elected() ? Task.FromResult<object>(ReplyStatus.Ok) : FakeReplica.NotLeader(-1)();

        var call = router.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);
        await Harness(call, step: TimeSpan.FromMilliseconds(5));

        Assert.Equal(ReplyStatus.Ok, (await call).Status);
        var took = _time.GetElapsedTime(started);
        Assert.True(took < TimeSpan.FromMilliseconds(600), $"took {took} of fake time; replica 1 named replica 2 about 500 ms in");
        Assert.Equal(2, router.LeaderGuess(0));
        Assert.Equal(0, _grains.Replicas[0].Sum(r => r.ForwardRequests));

        // The client's next call, still within the pause, goes to the new leader both ways at once too.
        var nextStarted = _time.GetTimestamp();
        var next = router.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 2), Guid.NewGuid(), "x", default), Ct);
        await Harness(next, step: TimeSpan.FromMilliseconds(5));
        Assert.Equal(ReplyStatus.Ok, (await next).Status);
        Assert.True(_time.GetElapsedTime(nextStarted) < TimeSpan.FromMilliseconds(100), $"the next call took {_time.GetElapsedTime(nextStarted)} of fake time");

        // Once the failover is past, calls go direct alone again.
        _grains.DirectPathPausedTo.Clear();
        _time.Advance(ReplicaRouter.HedgeFor);
        var entryCalls = _grains.EntryKeys.Count;
        Assert.Equal(ReplyStatus.Ok, (await router.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 3), Guid.NewGuid(), "x", default), Ct)).Status);
        Assert.Equal(entryCalls, _grains.EntryKeys.Count);
    }

    [Fact]
    public async Task After_a_probed_replica_answered_as_the_new_leader_the_next_call_goes_through_another_gateway_as_well()
    {
        // Replica 0's silo is paused; replica 2, already elected, answers the probe itself. This client reaches replica
        // 2's grain through the paused gateway, so its next call must not go direct alone.
        var router = new ReplicaRouter(new OrleansReplicaChannel(_grains), new LockClientOptions { CallTimeout = TimeSpan.FromSeconds(1) }, _time, NullLogger.Instance);
        _grains.DirectPathPausedTo.Add((0, 2));
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = FakeReplica.NotLeader(-1);

        var first = router.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);
        await Harness(first, step: TimeSpan.FromMilliseconds(5));
        Assert.Equal(ReplyStatus.Ok, (await first).Status);
        Assert.Equal(2, router.LeaderGuess(0));

        var started = _time.GetTimestamp();
        var next = router.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 2), Guid.NewGuid(), "x", default), Ct);
        await Harness(next, step: TimeSpan.FromMilliseconds(5));
        Assert.Equal(ReplyStatus.Ok, (await next).Status);
        Assert.True(_time.GetElapsedTime(started) < TimeSpan.FromMilliseconds(100), $"the next call took {_time.GetElapsedTime(started)} of fake time");
    }

    [Fact]
    public async Task A_follower_is_asked_to_forward_only_when_it_names_the_silent_replica_as_leader()
    {
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = FakeReplica.NotLeader(-1); // no leader known yet
        _grains.Replicas[0][2].Behaviour = FakeReplica.NotLeader(-1);

        var call = _transport.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);
        await Harness(call);
        var reply = await call;

        Assert.NotEqual(ReplyStatus.Ok, reply.Status);
        Assert.Equal(0, _grains.Replicas[0].Sum(r => r.ForwardRequests));
    }

    [Fact]
    public async Task When_no_replica_answers_as_leader_the_reply_is_Unavailable()
    {
        foreach (var replica in _grains.Replicas[0])
        {
            replica.Behaviour = FakeReplica.NotLeader(-1);
        }

        var reply = await _transport.ReleaseAsync(0, new ReleaseRequest(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", default), Ct);

        Assert.Equal(ReplyStatus.Unavailable, reply.Status);
        Assert.Equal(6, _grains.Replicas[0].Sum(r => r.Calls));
    }

    [Fact]
    public async Task An_unreadable_topology_is_a_transient_failure_and_is_not_cached()
    {
        var failures = 1;
        _grains.Topology = () => failures-- > 0
            ? Task.FromException<LockTopology>(new SiloUnavailableException("gateway gone"))
            : Task.FromResult(new LockTopology(2, 3));

        await Assert.ThrowsAsync<TransientTransportException>(async () => await _transport.GetGroupAsync("a", Ct));
        Assert.InRange(await _transport.GetGroupAsync("a", Ct), 0, 1);
    }

    [Theory]
    [InlineData(typeof(SiloUnavailableException), true)]
    [InlineData(typeof(TimeoutException), true)]
    [InlineData(typeof(GatewayTooBusyException), true)]
    [InlineData(typeof(ArgumentException), false)]
    public void Replica_failures_are_classified(Type type, bool transient)
    {
        var e = (Exception)Activator.CreateInstance(type, "x")!;
        Assert.Equal(transient, OrleansReplicaChannel.IsReplicaFailure(e));
    }

    /// <summary>
    /// Replica 0 (the leader) never answers, nor does what its followers forward to it; they name it until 600 ms in,
    /// then replica 2, which answers as leader from then on. A router with a 1 s call timeout.
    /// </summary>
    private (ReplicaRouter Router, long Started) LeaderSilentThenReplica2ElectedAt600Ms()
    {
        var router = new ReplicaRouter(new OrleansReplicaChannel(_grains), new LockClientOptions { CallTimeout = TimeSpan.FromSeconds(1) }, _time, NullLogger.Instance);
        var started = _time.GetTimestamp();
        bool Elected() => _time.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(600);
        _grains.Replicas[0][0].Behaviour = FakeReplica.Hangs();
        _grains.Replicas[0][1].Behaviour = () => FakeReplica.NotLeader(Elected() ? 2 : 0)();
        _grains.Replicas[0][1].WhenForwarded = FakeReplica.Hangs();
        _grains.Replicas[0][2].Behaviour = () => Elected() ? Task.FromResult<object>(ReplyStatus.Ok) : FakeReplica.NotLeader(0)();
        _grains.Replicas[0][2].WhenForwarded = FakeReplica.Hangs();
        return (router, started);
    }

    private static AcquireRequest Request() => new(new RequestId(Guid.NewGuid(), 1), Guid.NewGuid(), "x", LockMode.Exclusive, 0, 1000);

    private async Task Harness(Task call, TimeSpan? step = null)
    {
        var advance = step ?? TimeSpan.FromMilliseconds(100);
        for (var i = 0; i < 20_000 / advance.TotalMilliseconds && !call.IsCompleted; i++)
        {
            await Task.Delay(1, Ct);
            _time.Advance(advance);
        }
    }
}
