using LockService.Client.Tests.Fakes;
using LockService.Client.Transport;
using LockService.Protocol;

namespace LockService.Client.Tests;

public sealed class RequestIdsTests
{
    [Fact]
    public void AnsweredBelow_is_the_oldest_request_still_in_flight()
    {
        var ids = new RequestIds(Guid.NewGuid());
        Assert.Equal(1, ids.AnsweredBelow);

        var first = ids.Next();
        var second = ids.Next();
        var third = ids.Next();
        Assert.Equal(first.Sequence, ids.AnsweredBelow);

        ids.Complete(second);
        Assert.Equal(first.Sequence, ids.AnsweredBelow);

        ids.Complete(first);
        Assert.Equal(third.Sequence, ids.AnsweredBelow);

        ids.Complete(third);
        Assert.Equal(third.Sequence + 1, ids.AnsweredBelow);
        Assert.Equal(0, ids.InFlightCount);
    }

    [Fact]
    public async Task Requests_tell_the_service_which_answers_it_may_forget()
    {
        await using var harness = new Harness();
        var client = harness.Client();
        for (var i = 0; i < 3; i++)
        {
            var handle = await client.AcquireAsync("lock", TimeSpan.FromSeconds(1), cancellationToken: TestContext.Current.CancellationToken);
            await handle.ReleaseAsync(TestContext.Current.CancellationToken);
        }

        var releases = harness.Service.Calls.Where(c => c.Operation == "release").Select(c => (ReleaseRequest)c.Request).ToArray();
        Assert.Equal(3, releases.Length);

        // By the third release, the open-session and the first acquires and releases have all been answered.
        Assert.True(releases[^1].AnsweredBelow > releases[0].Request.Sequence,
            $"last release says answered below {releases[^1].AnsweredBelow}, first release was {releases[0].Request.Sequence}");
        Assert.Equal(releases[^1].Request.Sequence, releases[^1].AnsweredBelow);
    }

    [Fact]
    public async Task A_queued_wait_does_not_hold_back_AnsweredBelow_while_the_client_keeps_working()
    {
        // Regression: a wait stayed in flight (pinning AnsweredBelow) for as long as it waited, so the service kept
        // every later answer of the client until its limit refused all of them.
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var (other, client) = (h.Client(), h.Client());
        var leading = await other.AcquireAsync("leader", cancellationToken: ct);
        var election = client.AcquireAsync("leader", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("leader") == 1, "the wait is queued");
        await h.Advance(Harness.DefaultOptions().WaitPollInterval + TimeSpan.FromSeconds(1)); // its first Queued answer

        var work = await client.AcquireAsync("work", cancellationToken: ct);
        await work.ReleaseAsync(ct);

        var wait = h.Service.Calls.Select(c => c.Request).OfType<AcquireRequest>().First(r => r.Name == "leader" && r.WaitMs > 0);
        var release = h.Service.Calls.Select(c => c.Request).OfType<ReleaseRequest>().Last();
        Assert.True(release.AnsweredBelow > wait.Request.Sequence, $"AnsweredBelow {release.AnsweredBelow} is held back by the wait {wait.Request.Sequence}");
        Assert.False(election.IsCompleted);

        // The wait goes on, and is granted as before.
        await leading.ReleaseAsync(ct);
        var led = await h.AdvanceUntil(election);
        Assert.True(led.Token > leading.Token);
    }
}
