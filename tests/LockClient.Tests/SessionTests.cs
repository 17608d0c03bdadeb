using LockService.Client.Sessions;
using LockService.Client.Tests.Fakes;
using LockService.Protocol;
using Microsoft.Extensions.Time.Testing;

namespace LockService.Client.Tests;

public sealed class SessionTests
{
    [Fact]
    public async Task One_session_per_group_is_opened_lazily_and_shared_by_its_locks()
    {
        await using var h = new Harness(groupCount: 1);
        var client = h.Client();
        Assert.Equal(0, h.Service.CallCount("open"));

        await using var a = await client.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);
        await using var b = await client.AcquireAsync("b", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(1, h.Service.CallCount("open"));
        Assert.Same(a.Session, b.Session);
    }

    [Fact]
    public async Task Locks_in_different_groups_use_one_session_per_group()
    {
        await using var h = new Harness(groupCount: 8);
        var client = h.Client();
        var names = Enumerable.Range(0, 40).Select(i => $"lock-{i}").ToList();
        var groups = names.Select(n => LockGroups.GroupOf(n, 8)).Distinct().Count();

        var handles = new List<LockHandle>();
        foreach (var name in names)
        {
            handles.Add(await client.AcquireAsync(name, cancellationToken: TestContext.Current.CancellationToken));
        }

        Assert.Equal(groups, h.Service.CallCount("open"));
        Assert.Equal(groups, handles.Select(x => x.Session.Id).Distinct().Count());
        foreach (var handle in handles)
        {
            await handle.DisposeAsync();
        }
    }

    [Fact]
    public async Task Keepalives_keep_a_lock_for_many_TTLs()
    {
        await using var h = new Harness();
        var handle = await h.Client().AcquireAsync("k", cancellationToken: TestContext.Current.CancellationToken);

        await h.Advance(TimeSpan.FromSeconds(40));

        Assert.False(handle.LostToken.IsCancellationRequested);
        Assert.InRange(h.Service.CallCount("keepalive"), 10, 14);
        Assert.Equal([handle.Token], h.Service.HolderTokens("k"));
        await handle.DisposeAsync();
    }

    [Fact]
    public async Task Cut_off_from_the_cluster_the_client_fires_LostToken_before_the_lock_goes_to_a_waiter()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var cutOff = h.Client();
        var waiterClient = h.Client();
        var handle = await cutOff.AcquireAsync("cut", cancellationToken: ct);
        var session = handle.Session.Id;
        DateTimeOffset? lostAt = null;
        handle.LostToken.Register(() => lostAt = h.Time.GetUtcNow());
        var waiting = waiterClient.AcquireAsync("cut", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("cut") == 1, "the waiter is queued");

        var cutAt = h.Time.GetUtcNow();
        h.Service.Fault = (op, request) => request switch
        {
            KeepAliveRequest k when k.SessionId == session => ReplyStatus.Unavailable,
            CloseSessionRequest c when c.SessionId == session => ReplyStatus.Unavailable,
            _ => null,
        };
        var next = await h.AdvanceUntil(waiting, step: TimeSpan.FromMilliseconds(50));
        var grantedAt = h.Time.GetUtcNow();

        Assert.NotNull(lostAt);
        Assert.True(lostAt < grantedAt, $"lost at {lostAt:HH:mm:ss.fff}, granted to the waiter at {grantedAt:HH:mm:ss.fff}");
        Assert.True(lostAt - cutAt <= TimeSpan.FromSeconds(9.8), "the lease ends at TTL·(1 − ε) − margin after the last acknowledged keepalive");
        Assert.True(grantedAt - cutAt >= TimeSpan.FromSeconds(10), "the service expires the session one TTL after its last renewal");
        Assert.True(next.Token > handle.Token);
        Assert.Equal(Client.LostReason.LeaseDeadlinePassed, handle.LostReason);
        await handle.DisposeAsync();
        await next.DisposeAsync();
    }

    [Fact]
    public async Task A_client_that_gives_up_its_lease_closes_the_session_so_the_waiter_gets_the_lock_at_once()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var handle = await h.Client().AcquireAsync("gone", cancellationToken: ct);
        var session = handle.Session.Id;
        var waiting = h.Client().AcquireAsync("gone", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("gone") == 1, "the waiter is queued");
        h.Service.Fault = (op, request) => request is KeepAliveRequest k && k.SessionId == session ? ReplyStatus.Unavailable : null;

        await using var next = await h.AdvanceUntil(waiting, step: TimeSpan.FromMilliseconds(50));

        Assert.True(handle.LostToken.IsCancellationRequested);
        Assert.Equal(1, h.Service.CallCount("close"));
        Assert.True(next.Token > handle.Token);
        Assert.True(h.Time.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_close_that_finds_no_leader_keeps_trying_so_a_dead_holders_lock_is_not_held_for_a_new_leaders_fresh_TTL()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var handle = await h.Client().AcquireAsync("outage", cancellationToken: ct);
        var session = handle.Session.Id;
        var waiting = h.Client().AcquireAsync("outage", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("outage") == 1, "the waiter is queued");

        // An outage (a storage restart): the holder's keepalives and its close find no leader until it ends.
        var outage = true;
        h.Service.Fault = (op, request) => outage && request switch
        {
            KeepAliveRequest k => k.SessionId == session,
            CloseSessionRequest c => c.SessionId == session,
            _ => false,
        } ? ReplyStatus.Unavailable : null;
        while (!handle.LostToken.IsCancellationRequested)
        {
            await h.Advance(TimeSpan.FromMilliseconds(50));
        }

        // The replicas restart and elect a leader, which gives every session a fresh TTL; the outage ends 2 s later.
        h.Service.RenewEverySessionAsANewLeader();
        var electedAt = h.Time.GetUtcNow();
        await h.Advance(TimeSpan.FromSeconds(2));
        outage = false;
        await using var next = await h.AdvanceUntil(waiting, step: TimeSpan.FromMilliseconds(50));

        Assert.True(h.Time.GetUtcNow() - electedAt < TimeSpan.FromSeconds(4), $"granted {h.Time.GetUtcNow() - electedAt} after the election: the close should land once a leader answers, not wait out the fresh 10 s TTL");
        Assert.True(h.Service.CallCount("close") >= 2, "the close was retried");
        Assert.True(next.Token > handle.Token);
        Assert.Equal(Client.LostReason.LeaseDeadlinePassed, handle.LostReason);
    }

    [Fact]
    public async Task A_session_the_service_expired_fires_LostToken_and_is_replaced_for_new_acquires()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var client = h.Client();
        var handle = await client.AcquireAsync("e", cancellationToken: ct);

        h.Service.ExpireSession(handle.Session.Id);
        await h.AdvanceUntil(Task.Run(async () => await Task.Delay(Timeout.Infinite, handle.LostToken).ContinueWith(_ => 0, TaskScheduler.Default), ct));

        Assert.Equal(Client.LostReason.SessionExpired, handle.LostReason);
        await Assert.ThrowsAsync<LockSessionLostException>(() => handle.ReleaseAsync(ct));
        await using var again = await client.AcquireAsync("e", cancellationToken: ct);
        Assert.NotEqual(handle.Session.Id, again.Session.Id);
        Assert.True(again.Token > handle.Token);
        Assert.Equal(2, h.Service.CallCount("open"));
    }

    [Fact]
    public async Task An_acquire_told_its_session_expired_retries_on_a_new_session()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var client = h.Client();
        await (await client.AcquireAsync("first", cancellationToken: ct)).DisposeAsync();
        var old = client.Sessions.LiveSessions().Single();
        h.Service.ExpireSession(old.Id);

        await using var handle = await client.AcquireAsync("second", cancellationToken: ct);

        Assert.NotEqual(old.Id, handle.Session.Id);
        Assert.True(old.IsLost);
    }

    [Fact]
    public async Task A_TTL_the_service_refuses_throws_InvalidSessionTtlException()
    {
        await using var h = new Harness();
        var options = Harness.DefaultOptions();
        options.SessionTtl = TimeSpan.FromMilliseconds(500);

        var error = await Assert.ThrowsAsync<InvalidSessionTtlException>(
            () => h.Client(options).TryAcquireAsync("ttl", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("SessionTtl", error.Message);
    }

    [Fact]
    public void The_client_deadline_counts_from_the_send_time_of_the_last_acknowledged_keepalive()
    {
        var time = new FakeTimeProvider();
        var options = new LockClientOptions { SessionTtl = TimeSpan.FromSeconds(10), ClockRateBound = 0.01, LeaseSafetyMargin = TimeSpan.FromMilliseconds(100) };
        var lease = options.LocalLeaseFor(options.SessionTtl);
        Assert.Equal(TimeSpan.FromMilliseconds(9799), lease); // 10 s · 0.99 − 1 ms (rounding) − 100 ms
        LostReason? lost = null;
        using var session = new GroupSession(0, Guid.NewGuid(), new Client.Transport.RequestIds(Guid.NewGuid()), options.SessionTtl, time.GetTimestamp(), options, time, (_, r, _) => lost = r);

        time.Advance(TimeSpan.FromSeconds(3));
        var sentAt = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(2)); // the acknowledgement arrives 2 s after the keepalive was sent
        Assert.True(session.Renewed(sentAt, options.SessionTtl));

        time.Advance(lease - TimeSpan.FromSeconds(2) - TimeSpan.FromTicks(1));
        Assert.Null(lost);
        time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(LostReason.LeaseDeadlinePassed, lost);
        Assert.True(session.LostToken.IsCancellationRequested);
    }

    [Fact]
    public void A_late_acknowledgement_never_moves_the_deadline_back_nor_revives_a_lost_session()
    {
        var time = new FakeTimeProvider();
        var options = new LockClientOptions();
        using var session = new GroupSession(0, Guid.NewGuid(), new Client.Transport.RequestIds(Guid.NewGuid()), options.SessionTtl, time.GetTimestamp(), options, time, (_, _, _) => { });
        var early = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(4));
        session.Renewed(time.GetTimestamp(), options.SessionTtl);
        var deadline = session.Deadline;

        session.Renewed(early, options.SessionTtl);
        Assert.Equal(deadline, session.Deadline);

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.True(session.IsLost);
        Assert.False(session.Renewed(time.GetTimestamp(), options.SessionTtl));
    }
}
