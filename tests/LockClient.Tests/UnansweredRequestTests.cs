using LockService.Client.Tests.Fakes;
using LockService.Protocol;

namespace LockService.Client.Tests;

/// <summary>
/// Issue 10: a client was wedged for good, every call failing with LockLimitExceededException, because a request
/// that ended without an answer (timed out, cancelled, abandoned while a silo was down) held back AnsweredBelow,
/// so the service kept every later answer of the client until its limit refused them all.
/// </summary>
public sealed class UnansweredRequestTests
{
    public enum Ending
    {
        /// <summary>The handle is disposed while the service is down; the release fails, goes on in the background, and the session is lost meanwhile.</summary>
        ReleaseTimesOutThenSessionIsLost,

        /// <summary>The caller cancels a release while the service is down, and never retries it.</summary>
        ReleaseCancelled,

        /// <summary>A try-acquire keeps getting Unavailable until the request timeout.</summary>
        AcquireTimesOut,

        /// <summary>The caller cancels an acquire while the service is down.</summary>
        AcquireCancelled,

        /// <summary>A queued wait reaches its caller's deadline while the service is down.</summary>
        WaitAbandoned,

        /// <summary>An acquire is applied but its answer is lost, and then the service goes down until the caller gives up.</summary>
        GrantLostThenAbandoned,
    }

    public static TheoryData<Ending> Endings => [.. Enum.GetValues<Ending>()];

    [Theory]
    [MemberData(nameof(Endings))]
    public async Task A_request_that_ended_without_an_answer_no_longer_holds_back_AnsweredBelow(Ending ending)
    {
        await using var h = new Harness();
        var client = h.Client(Options());
        var ended = await EndDuringAnOutage(h, client, ending);
        await h.Advance(TimeSpan.FromSeconds(3)); // background clean-up after the outage

        await using var after = await h.AdvanceUntil(client.AcquireAsync("after", TimeSpan.FromSeconds(1), cancellationToken: TestContext.Current.CancellationToken));
        await after.ReleaseAsync(TestContext.Current.CancellationToken);

        var release = h.Service.Calls.Select(c => c.Request).OfType<ReleaseRequest>().Last();
        Assert.True(release.Request.Sequence > ended, "the probe ran after the outage");
        Assert.Equal(release.Request.Sequence, release.AnsweredBelow); // nothing older is still counted as unanswered
    }

    [Fact]
    public async Task A_client_whose_release_ended_in_an_outage_keeps_working_past_the_service_limit()
    {
        // The chaos run's wedge: one release lost in an outage, then 1,024 more answers and every call failed.
        await using var h = new Harness();
        var client = h.Client(Options());
        await EndDuringAnOutage(h, client, Ending.ReleaseTimesOutThenSessionIsLost);
        Assert.Empty(client.Sessions.LiveSessions()); // the session was lost during the outage

        for (var i = 0; i < h.Service.PendingLimit; i++)
        {
            var handle = await h.AdvanceUntil(client.AcquireAsync("busy", TimeSpan.FromSeconds(1), cancellationToken: TestContext.Current.CancellationToken));
            await handle.ReleaseAsync(TestContext.Current.CancellationToken);
        }

        Assert.True(h.Service.PendingAnswers(client.ClientId) <= 1);
    }

    [Fact]
    public async Task A_grant_whose_answer_was_lost_before_the_caller_gave_up_is_released_not_kept_while_the_session_lives()
    {
        await using var h = new Harness();
        var client = h.Client(Options());
        await EndDuringAnOutage(h, client, Ending.GrantLostThenAbandoned);

        await h.Advance(TimeSpan.FromSeconds(3));

        Assert.Empty(h.Service.HolderTokens("y"));
        Assert.Single(client.Sessions.LiveSessions()); // the session lives on; only the orphaned grant went
        await using var again = await h.AdvanceUntil(h.Client().AcquireAsync("y", TimeSpan.FromSeconds(1), cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_wait_abandoned_during_an_outage_is_withdrawn_once_the_service_is_back()
    {
        await using var h = new Harness();
        var client = h.Client(Options());
        await EndDuringAnOutage(h, client, Ending.WaitAbandoned);

        await h.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(0, h.Service.WaiterCount("w"));
    }

    [Fact]
    public async Task A_release_retried_after_an_attempt_of_unknown_outcome_reports_released_not_lost()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var client = h.Client();
        var handle = await h.AdvanceUntil(client.AcquireAsync("r", cancellationToken: ct));
        var down = true;
        h.Service.FaultAfterApply = (op, _) => op == "release" && Volatile.Read(ref down) ? ReplyStatus.Unavailable : null;
        h.Service.Fault = (op, _) => op == "release" && Volatile.Read(ref down) && h.Service.CallCount("release") > 1 ? ReplyStatus.Unavailable : null;
        var first = handle.ReleaseAsync(ct);
        await h.AdvanceUntil(first.ContinueWith(_ => 0, TaskScheduler.Default));
        await Assert.ThrowsAsync<LockServiceUnavailableException>(() => first);
        Volatile.Write(ref down, false);

        await handle.ReleaseAsync(ct); // the first attempt had released it: a fresh id answers NotHolder

        Assert.True(handle.IsReleased);
        Assert.False(handle.LostToken.IsCancellationRequested);
        var ids = h.Service.Calls.Select(c => c.Request).OfType<ReleaseRequest>().Select(r => r.Request).Distinct().ToList();
        Assert.Equal(2, ids.Count); // an ended request's id is never sent again
    }

    [Fact]
    public async Task When_the_limit_is_reached_anyway_the_client_takes_a_fresh_identity_instead_of_failing_every_call()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        h.Service.PendingLimit = 8;
        var client = h.Client();
        await (await h.AdvanceUntil(client.AcquireAsync("warm", cancellationToken: ct))).DisposeAsync();

        // An acquire that never gets an answer pins AnsweredBelow while it keeps retrying (it has no deadline).
        h.Service.Fault = (op, r) => op == "acquire" && r is AcquireRequest { Name: "stuck" } ? ReplyStatus.Overloaded : null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stuck = client.AcquireAsync("stuck", cancellationToken: stop.Token);
        await h.Advance(TimeSpan.FromMilliseconds(300));

        // Every call succeeds. (A lock held by a session of the old identity stays held until that session expires:
        // the old identity can send nothing more, so these use fresh names.)
        for (var i = 0; i < 3 * h.Service.PendingLimit; i++)
        {
            var handle = await h.AdvanceUntil(client.AcquireAsync($"busy/{i}", TimeSpan.FromSeconds(1), cancellationToken: ct));
            await handle.DisposeAsync();
        }

        Assert.True(h.Service.ClientIds.Count >= 2, "the client took a fresh identity");
        await stop.CancelAsync();
        await h.AdvanceUntil(stuck.ContinueWith(_ => 0, TaskScheduler.Default));
    }

    /// <summary>A session TTL that outlives the outages below, so only the case that means to lose its session does.</summary>
    private static LockClientOptions Options() => new()
    {
        SessionTtl = TimeSpan.FromSeconds(30),
        RequestTimeout = TimeSpan.FromSeconds(5),
        WaitPollInterval = TimeSpan.FromSeconds(2),
    };

    /// <summary>
    /// Ends a request the given way while the service is down, keeps it down for longer than the request timeout (so
    /// any clean-up the client tries meanwhile gives up too), then heals it; returns the highest sequence sent so far.
    /// </summary>
    private static async Task<long> EndDuringAnOutage(Harness h, LockServiceClient client, Ending ending)
    {
        var ct = TestContext.Current.CancellationToken;
        var down = false;
        h.Service.Fault = (_, _) => Volatile.Read(ref down) ? ReplyStatus.Unavailable : null;
        await (await h.AdvanceUntil(client.AcquireAsync("warm", cancellationToken: ct))).DisposeAsync();
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var outage = Options().RequestTimeout + TimeSpan.FromSeconds(1);
        switch (ending)
        {
            case Ending.ReleaseTimesOutThenSessionIsLost:
            {
                var handle = await h.AdvanceUntil(client.AcquireAsync("x", cancellationToken: ct));
                Volatile.Write(ref down, true);
                await h.AdvanceUntil(handle.DisposeAsync().AsTask());
                outage = Options().SessionTtl;
                break;
            }

            case Ending.ReleaseCancelled:
            {
                var handle = await h.AdvanceUntil(client.AcquireAsync("x", cancellationToken: ct));
                Volatile.Write(ref down, true);
                var release = handle.ReleaseAsync(cancel.Token);
                await h.Advance(TimeSpan.FromSeconds(1));
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => release);
                break;
            }

            case Ending.AcquireTimesOut:
            {
                Volatile.Write(ref down, true);
                var attempt = client.TryAcquireAsync("y", cancellationToken: ct);
                await h.AdvanceUntil(attempt.ContinueWith(_ => 0, TaskScheduler.Default));
                await Assert.ThrowsAsync<LockServiceUnavailableException>(() => attempt);
                break;
            }

            case Ending.AcquireCancelled:
            {
                Volatile.Write(ref down, true);
                var attempt = client.AcquireAsync("y", cancellationToken: cancel.Token);
                await h.Advance(TimeSpan.FromSeconds(1));
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt);
                break;
            }

            case Ending.WaitAbandoned:
            {
                // Kept referenced: a dropped handle is released by its finalizer (abandonment), which would grant the wait.
                var holder = await h.AdvanceUntil(h.Client(Options()).AcquireAsync("w", cancellationToken: ct));
                var attempt = client.AcquireAsync("w", cancellationToken: cancel.Token);
                await Harness.Until(() => h.Service.WaiterCount("w") == 1, "the wait is queued");
                await h.Advance(Options().WaitPollInterval + TimeSpan.FromSeconds(1)); // queued, and answered so
                Volatile.Write(ref down, true);
                await cancel.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => attempt);
                GC.KeepAlive(holder);
                break;
            }

            case Ending.GrantLostThenAbandoned:
            {
                // The first attempt is applied and its answer lost; every retry is refused until the caller gives up.
                var attempts = 0;
                h.Service.FaultAfterApply = (op, r) => op == "acquire" && r is AcquireRequest { Name: "y" } ? ReplyStatus.Unavailable : null;
                h.Service.Fault = (op, r) =>
                    Volatile.Read(ref down) || (op == "acquire" && r is AcquireRequest { Name: "y" } && Interlocked.Increment(ref attempts) > 1)
                        ? ReplyStatus.Unavailable : null;
                var attempt = client.TryAcquireAsync("y", cancellationToken: ct);
                await h.AdvanceUntil(attempt.ContinueWith(_ => 0, TaskScheduler.Default));
                Volatile.Write(ref down, true);
                await Assert.ThrowsAsync<LockServiceUnavailableException>(() => attempt);
                Assert.Single(h.Service.HolderTokens("y")); // granted on the service; nobody has it
                h.Service.FaultAfterApply = (_, _) => null;
                h.Service.Fault = (_, _) => Volatile.Read(ref down) ? ReplyStatus.Unavailable : null;
                break;
            }
        }

        await h.Advance(outage);
        Volatile.Write(ref down, false);
        return MaxSequence(h);
    }

    private static long MaxSequence(Harness h) =>
        h.Service.Calls.Select(c => c.Request switch
        {
            OpenSessionRequest r => r.Request.Sequence,
            CloseSessionRequest r => r.Request.Sequence,
            AcquireRequest r => r.Request.Sequence,
            ReleaseRequest r => r.Request.Sequence,
            CancelWaitRequest r => r.Request.Sequence,
            _ => 0,
        }).Max();
}
