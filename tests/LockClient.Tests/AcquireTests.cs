using LockService.Client.Tests.Fakes;
using LockService.Protocol;

namespace LockService.Client.Tests;

public sealed class AcquireTests
{
    [Fact]
    public async Task A_free_lock_is_granted_with_a_token_and_released_by_dispose()
    {
        await using var h = new Harness();
        var client = h.Client();

        var handle = await client.TryAcquireAsync("orders/1", cancellationToken: TestContext.Current.CancellationToken);

        Assert.NotNull(handle);
        Assert.Equal("orders/1", handle.Name);
        Assert.Equal(LockMode.Exclusive, handle.Mode);
        Assert.True(handle.Token > FencingToken.None);
        Assert.Equal([handle.Token], h.Service.HolderTokens("orders/1"));
        await handle.DisposeAsync();
        Assert.Empty(h.Service.HolderTokens("orders/1"));
        Assert.True(handle.IsReleased);
        Assert.False(handle.LostToken.IsCancellationRequested);
    }

    [Fact]
    public async Task A_try_with_zero_timeout_on_a_held_lock_returns_null_without_queueing()
    {
        await using var h = new Harness();
        var holder = h.Client();
        var other = h.Client();
        await using var held = await holder.AcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);

        var attempt = await other.TryAcquireAsync("a", cancellationToken: TestContext.Current.CancellationToken);

        Assert.Null(attempt);
        Assert.Equal(0, h.Service.WaiterCount("a"));
        var request = (AcquireRequest)h.Service.Calls.Last(c => c.Operation == "acquire").Request;
        Assert.Equal(0, request.WaitMs);
    }

    [Fact]
    public async Task Tokens_increase_strictly_from_grant_to_grant()
    {
        await using var h = new Harness();
        var client = h.Client();
        var tokens = new List<FencingToken>();
        for (var i = 0; i < 5; i++)
        {
            await using var handle = await client.AcquireAsync("t", cancellationToken: TestContext.Current.CancellationToken);
            tokens.Add(handle.Token);
        }

        Assert.Equal(tokens.Order(), tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [Fact]
    public async Task Waiters_are_granted_in_FIFO_order()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var clients = Enumerable.Range(0, 4).Select(_ => h.Client()).ToArray();
        var first = await clients[0].AcquireAsync("fifo", cancellationToken: ct);
        var order = new List<int>();
        var waits = new List<Task>();
        for (var i = 1; i < clients.Length; i++)
        {
            var me = i;
            waits.Add(Task.Run(async () =>
            {
                await using var handle = await clients[me].AcquireAsync("fifo", cancellationToken: ct);
                lock (order)
                {
                    order.Add(me);
                }
            }, ct));
            await Harness.Until(() => h.Service.WaiterCount("fifo") == me, $"waiter {me} is queued");
        }

        await first.DisposeAsync();
        await Task.WhenAll(waits);

        Assert.Equal([1, 2, 3], order);
    }

    [Fact]
    public async Task A_long_wait_re_issues_the_same_request_id_after_each_poll()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var holder = h.Client();
        var waiter = h.Client();
        var held = await holder.AcquireAsync("poll", cancellationToken: ct);
        var waiting = waiter.AcquireAsync("poll", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("poll") == 1, "the waiter is queued");

        await h.Advance(TimeSpan.FromSeconds(11));
        await held.DisposeAsync();
        await using var handle = await waiting;

        var ids = h.Service.Calls.Where(c => c.Operation == "acquire").Select(c => (AcquireRequest)c.Request)
            .Where(r => r.SessionId != held.Session.Id).Select(r => r.Request).ToList();
        Assert.True(ids.Count >= 3, $"expected at least 3 polls, saw {ids.Count}");
        Assert.Single(ids.Distinct());
    }

    [Fact]
    public async Task A_try_with_a_timeout_returns_null_when_it_passes_and_leaves_no_waiter()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var holder = h.Client();
        var other = h.Client();
        await using var held = await holder.AcquireAsync("x", cancellationToken: ct);

        var attempt = other.TryAcquireAsync("x", TimeSpan.FromSeconds(2), cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("x") == 1, "the waiter is queued");
        var result = await h.AdvanceUntil(attempt);

        Assert.Null(result);
        await Harness.Until(() => h.Service.WaiterCount("x") == 0, "the wait is withdrawn");
        Assert.Equal([held.Token], h.Service.HolderTokens("x"));
    }

    [Fact]
    public async Task AcquireAsync_throws_TimeoutException_when_its_timeout_passes()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        await using var held = await h.Client().AcquireAsync("x", cancellationToken: ct);

        var attempt = h.Client().AcquireAsync("x", TimeSpan.FromSeconds(1), cancellationToken: ct);
        await h.AdvanceUntil(attempt.ContinueWith(_ => 0, TaskScheduler.Default));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => attempt);
        Assert.Contains("TryAcquireAsync", error.Message);
    }

    [Fact]
    public async Task Cancelling_a_waiting_acquire_withdraws_it_from_the_queue()
    {
        await using var h = new Harness();
        var holder = h.Client();
        var other = h.Client();
        var held = await holder.AcquireAsync("c", cancellationToken: TestContext.Current.CancellationToken);
        using var cancel = new CancellationTokenSource();

        var waiting = other.AcquireAsync("c", cancellationToken: cancel.Token);
        await Harness.Until(() => h.Service.WaiterCount("c") == 1, "the waiter is queued");
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await Harness.Until(() => h.Service.WaiterCount("c") == 0, "the wait is withdrawn");
        Assert.True(h.Service.CallCount("cancel-wait") >= 1);
        await held.DisposeAsync();
        Assert.Null(await holder.DescribeAsync("c", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Shared_holders_coexist_and_exclude_an_exclusive_one()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var a = await h.Client().AcquireAsync("rw", mode: LockMode.Shared, cancellationToken: ct);
        var b = await h.Client().TryAcquireAsync("rw", mode: LockMode.Shared, cancellationToken: ct);
        Assert.NotNull(b);

        Assert.Null(await h.Client().TryAcquireAsync("rw", cancellationToken: ct));
        var writer = h.Client().AcquireAsync("rw", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("rw") == 1, "the writer is queued");
        await a.DisposeAsync();
        Assert.False(writer.IsCompleted);
        await b.DisposeAsync();
        await using var w = await writer;
        Assert.Equal(LockMode.Exclusive, w.Mode);
    }

    [Fact]
    public async Task Describe_lists_holders_and_waiters_and_is_null_for_an_unknown_lock()
    {
        await using var h = new Harness();
        var ct = TestContext.Current.CancellationToken;
        var client = h.Client();
        Assert.Null(await client.DescribeAsync("d", ct));
        await using var held = await client.AcquireAsync("d", cancellationToken: ct);
        var waiting = h.Client().AcquireAsync("d", cancellationToken: ct);
        await Harness.Until(() => h.Service.WaiterCount("d") == 1, "the waiter is queued");

        var info = await client.DescribeAsync("d", ct);

        Assert.NotNull(info);
        Assert.True(info.IsHeld);
        Assert.Equal(held.Token, Assert.Single(info.Holders).Token);
        Assert.Equal(0, Assert.Single(info.Waiters).Position);
        await held.DisposeAsync();
        await (await waiting).DisposeAsync();
    }

    [Fact]
    public async Task Names_are_checked_before_anything_is_sent()
    {
        await using var h = new Harness();
        var client = h.Client();
        await Assert.ThrowsAsync<InvalidLockNameException>(() => client.TryAcquireAsync("", cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.TryAcquireAsync(null!, cancellationToken: TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.TryAcquireAsync("n", TimeSpan.FromSeconds(-2), cancellationToken: TestContext.Current.CancellationToken));
        Assert.Empty(h.Service.Calls);
    }

    [Fact]
    public async Task A_name_refused_by_the_service_throws_InvalidLockNameException()
    {
        await using var h = new Harness();
        h.Service.Fault = (op, _) => op == "acquire" ? ReplyStatus.InvalidName : null;

        // A name the SDK's own rules accept (the service's limits may be stricter than the default ones).
        var error = await Assert.ThrowsAsync<InvalidLockNameException>(
            () => h.Client().TryAcquireAsync("refused-by-service", cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("refused-by-service", error.Message);
    }

    public static TheoryData<string> HostileNames => new()
    {
        new string('n', 10 * 1024),
        new string('n', 1024 * 1024),
        "bad\0name",
        "tab\tname",
        "c1\u0085name",
        "lone\uD800surrogate",
        "\uDC00low",
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task A_hostile_name_is_refused_by_every_call_before_anything_is_sent(string name)
    {
        await using var h = new Harness();
        var client = h.Client();
        var ct = TestContext.Current.CancellationToken;

        await Assert.ThrowsAsync<InvalidLockNameException>(() => client.TryAcquireAsync(name, cancellationToken: ct));
        await Assert.ThrowsAsync<InvalidLockNameException>(() => client.AcquireAsync(name, TimeSpan.FromSeconds(1), cancellationToken: ct));
        await Assert.ThrowsAsync<InvalidLockNameException>(() => client.TryAcquireSemaphoreAsync(name, 3, cancellationToken: ct));
        await Assert.ThrowsAsync<InvalidLockNameException>(() => client.DescribeAsync(name, ct));
        await Assert.ThrowsAsync<InvalidLockNameException>(() => client.IsCurrentAsync(name, new FencingToken(1, 1), ct));
        Assert.Empty(h.Service.Calls);
    }
}
