using LockService.Client.Tests.Fakes;
using LockService.Protocol;

namespace LockService.Client.Tests;

public sealed class RetryTests
{
    [Fact]
    public async Task An_acquire_whose_reply_was_lost_is_retried_with_the_same_request_id_and_granted_once()
    {
        await using var h = new Harness();
        var lost = 2;
        h.Service.FaultAfterApply = (op, _) => op == "acquire" && Interlocked.Decrement(ref lost) >= 0 ? ReplyStatus.Unavailable : null;

        await using var handle = await h.AdvanceUntil(h.Client().AcquireAsync("once", cancellationToken: TestContext.Current.CancellationToken));

        var ids = h.Service.Calls.Where(c => c.Operation == "acquire").Select(c => ((AcquireRequest)c.Request).Request).ToList();
        Assert.Equal(3, ids.Count);
        Assert.Single(ids.Distinct());
        Assert.Equal([handle.Token], h.Service.HolderTokens("once"));
    }

    [Fact]
    public async Task Unavailable_for_longer_than_the_request_timeout_throws_LockServiceUnavailableException()
    {
        await using var h = new Harness();
        var client = h.Client();
        await (await client.AcquireAsync("warm", cancellationToken: TestContext.Current.CancellationToken)).DisposeAsync();
        h.Service.Fault = (op, _) => op == "acquire" ? ReplyStatus.Unavailable : null;

        var attempt = client.TryAcquireAsync("u", cancellationToken: TestContext.Current.CancellationToken);
        await h.AdvanceUntil(attempt.ContinueWith(_ => 0, TaskScheduler.Default), TimeSpan.FromSeconds(30));

        var error = await Assert.ThrowsAsync<LockServiceUnavailableException>(() => attempt);
        Assert.Contains("RequestTimeout", error.Message);
        Assert.True(h.Service.CallCount("acquire") > 3);
        Assert.InRange(h.Time.GetUtcNow() - new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task Overloaded_for_longer_than_the_request_timeout_throws_LockServiceOverloadedException()
    {
        await using var h = new Harness();
        h.Service.Fault = (op, _) => op == "describe" ? ReplyStatus.Overloaded : null;

        var attempt = h.Client().DescribeAsync("o", TestContext.Current.CancellationToken);
        await h.AdvanceUntil(attempt.ContinueWith(_ => 0, TaskScheduler.Default));

        await Assert.ThrowsAsync<LockServiceOverloadedException>(() => attempt);
    }

    [Fact]
    public async Task A_short_outage_is_only_a_delay()
    {
        await using var h = new Harness();
        var outage = 5;
        h.Service.Fault = (op, _) => op is "open" or "acquire" && Interlocked.Decrement(ref outage) >= 0 ? ReplyStatus.Unavailable : null;
        h.Service.TopologyFailures = 2;

        await using var handle = await h.AdvanceUntil(h.Client().AcquireAsync("blip", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal([handle.Token], h.Service.HolderTokens("blip"));
    }

    [Fact]
    public async Task A_wait_survives_an_outage_and_keeps_its_place_in_the_queue()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var held = await h.Client().AcquireAsync("q", cancellationToken: ct);
        var first = h.Client().AcquireAsync("q", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("q") == 1, "the first waiter is queued");
        var second = h.Client().AcquireAsync("q", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("q") == 2, "the second waiter is queued");

        var down = true;
        h.Service.Fault = (op, _) => op == "acquire" && Volatile.Read(ref down) ? ReplyStatus.Unavailable : null;
        await h.Advance(TimeSpan.FromSeconds(8));
        Volatile.Write(ref down, false);
        await held.DisposeAsync();

        var winner = await h.AdvanceUntil(first);
        Assert.False(second.IsCompleted);
        await winner.DisposeAsync();
        await (await h.AdvanceUntil(second)).DisposeAsync();
    }

    [Fact]
    public void Backoff_is_jittered_and_capped()
    {
        var backoff = new Client.Transport.Backoff(TimeSpan.FromMilliseconds(25), TimeSpan.FromSeconds(1), new Random(7));
        var delays = Enumerable.Range(0, 30).Select(backoff.Delay).ToList();

        Assert.All(delays, d => Assert.InRange(d, TimeSpan.FromMilliseconds(25), TimeSpan.FromSeconds(1)));
        Assert.True(delays.Distinct().Count() > 20);
    }
}
