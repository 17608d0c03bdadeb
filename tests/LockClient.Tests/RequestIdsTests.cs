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
}
