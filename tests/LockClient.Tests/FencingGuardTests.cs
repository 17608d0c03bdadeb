namespace LockService.Client.Tests;

public sealed class FencingGuardTests
{
    [Fact]
    public void Accepts_equal_or_higher_tokens_and_refuses_lower_ones()
    {
        var guard = new FencingGuard();
        Assert.True(guard.TryAccept(new FencingToken(1, 5)));
        Assert.True(guard.TryAccept(new FencingToken(1, 5)));
        Assert.True(guard.TryAccept(new FencingToken(2, 1)));
        Assert.False(guard.TryAccept(new FencingToken(1, 9)));
        Assert.Equal(new FencingToken(2, 1), guard.Highest);
        Assert.Throws<StaleFencingTokenException>(() => guard.Accept(new FencingToken(1, 6)));
    }

    [Fact]
    public async Task A_stale_operation_does_not_run()
    {
        var guard = new FencingGuard(new FencingToken(3, 3));
        var ran = false;

        await Assert.ThrowsAsync<StaleFencingTokenException>(() => guard.ExecuteAsync(new FencingToken(3, 2), _ =>
        {
            ran = true;
            return Task.CompletedTask;
        }, TestContext.Current.CancellationToken));

        Assert.False(ran);
    }

    [Fact]
    public async Task Operations_run_in_non_decreasing_token_order_under_concurrency()
    {
        var guard = new FencingGuard();
        var applied = new List<FencingToken>();
        var tokens = Enumerable.Range(0, 200).Select(i => new FencingToken(1 + (i % 3), (i * 7919) % 101)).ToList();

        await Task.WhenAll(tokens.Select(t => Task.Run(async () =>
        {
            try
            {
                await guard.ExecuteAsync(t, async _ =>
                {
                    await Task.Yield();
                    applied.Add(t);
                }, TestContext.Current.CancellationToken);
            }
            catch (StaleFencingTokenException)
            {
            }
        }, TestContext.Current.CancellationToken)));

        Assert.NotEmpty(applied);
        Assert.Equal(applied.Order(), applied);
        Assert.Equal(applied[^1], guard.Highest);
    }
}
