using LockService.Client.Tests.Fakes;

namespace LockService.Client.Tests;

public sealed class HandleTests
{
    [Fact]
    public async Task Dispose_is_idempotent_and_releases_once()
    {
        await using var h = new Harness();
        var handle = await h.Client().AcquireAsync("d", cancellationToken: TestContext.Current.CancellationToken);

        await handle.DisposeAsync();
        await handle.DisposeAsync();
        await handle.ReleaseAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, h.Service.CallCount("release"));
    }

    [Fact]
    public async Task A_release_retried_after_a_lost_reply_takes_effect_once()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var handle = await h.Client().AcquireAsync("r", cancellationToken: ct);
        var lost = 1;
        h.Service.FaultAfterApply = (op, _) => op == "release" && Interlocked.Decrement(ref lost) >= 0 ? Protocol.ReplyStatus.Unavailable : null;

        await h.AdvanceUntil(handle.ReleaseAsync(ct).ContinueWith(t => t, TaskScheduler.Default)).Unwrap();

        var releases = h.Service.Calls.Where(c => c.Operation == "release").Select(c => ((Protocol.ReleaseRequest)c.Request).Request).ToList();
        Assert.Equal(2, releases.Count);
        Assert.Single(releases.Distinct());
        Assert.True(handle.IsReleased);
    }

    [Fact]
    public async Task An_operator_release_makes_IsCurrent_false_and_fires_LostToken()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var client = h.Client();
        var handle = await client.AcquireAsync("op", cancellationToken: ct);
        Assert.True(await client.IsCurrentAsync("op", handle.Token, ct));

        h.Service.ForceRelease("op");

        Assert.False(await client.IsCurrentAsync("op", handle.Token, ct));
        Assert.True(handle.LostToken.IsCancellationRequested);
        Assert.True(handle.IsLost);
        await Assert.ThrowsAsync<LockNotHeldException>(() => handle.ReleaseAsync(ct));
        await handle.DisposeAsync();
    }

    [Fact]
    public async Task Releasing_a_lock_released_by_an_operator_throws_LockNotHeldException_but_dispose_does_not()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var first = await h.Client().AcquireAsync("op", cancellationToken: ct);
        var second = await h.Client().AcquireAsync("op2", cancellationToken: ct);
        h.Service.ForceRelease("op");
        h.Service.ForceRelease("op2");

        var error = await Assert.ThrowsAsync<LockNotHeldException>(() => first.ReleaseAsync(ct));
        Assert.Contains("LostToken", error.Message);
        Assert.True(first.LostToken.IsCancellationRequested);
        await second.DisposeAsync();
        Assert.True(second.LostToken.IsCancellationRequested);
    }

    [Fact]
    public async Task Disposing_the_client_closes_its_sessions_and_fires_LostToken()
    {
        await using var h = new Harness();
        var client = h.Client();
        var handle = await client.AcquireAsync("bye", cancellationToken: TestContext.Current.CancellationToken);

        await h.AdvanceUntil(client.DisposeAsync().AsTask());

        Assert.True(handle.LostToken.IsCancellationRequested);
        Assert.Equal(0, h.Service.SessionCount);
        Assert.Empty(h.Service.HolderTokens("bye"));
        await handle.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.TryAcquireAsync("bye", cancellationToken: TestContext.Current.CancellationToken));
    }
}
