using System.Runtime.CompilerServices;
using LockService.Client.Tests.Fakes;
using LockService.Protocol;

namespace LockService.Client.Tests;

/// <summary>
/// A handle dropped without being disposed is released once the garbage collector finalizes it: its lost token
/// fires first, then the normal release (one request id, retried while the reply is lost).
/// </summary>
public sealed class AbandonedHandleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_abandoned_handle_fires_its_lost_token_then_is_released_exactly_once_through_the_normal_path()
    {
        await using var h = new Harness();
        var client = h.Client();
        var lost = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lostReplies = 1;
        h.Service.FaultAfterApply = (op, _) => op == "release" && Interlocked.Decrement(ref lostReplies) >= 0 ? ReplyStatus.Unavailable : null;

        await AcquireAndDropAsync(client, "dropped", lost, h.Service);
        await CollectUntil(lost.Task);
        Assert.Equal(0, await lost.Task); // no release had been sent when the lost token fired

        await h.AdvanceUntil(Harness.Until(() => h.Service.CallCount("release") == 2, "the release was retried after its lost reply"));
        var releases = h.Service.Calls.Where(c => c.Operation == "release").Select(c => ((ReleaseRequest)c.Request).Request).ToList();
        Assert.Single(releases.Distinct()); // one request id: applied once
        Assert.Null(await client.DescribeAsync("dropped", Ct));
        Assert.True(await client.TryAcquireAsync("dropped", cancellationToken: Ct) is { } again && again.Token > default(FencingToken));
    }

    [Fact]
    public async Task A_handle_still_referenced_is_never_released_by_the_collector()
    {
        await using var h = new Harness();
        var handle = await h.Client().AcquireAsync("kept", cancellationToken: Ct);
        for (var i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        await Harness.Settle();
        Assert.Equal(0, h.Service.CallCount("release"));
        Assert.False(handle.LostToken.IsCancellationRequested);
        GC.KeepAlive(handle);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task AcquireAndDropAsync(LockServiceClient client, string name, TaskCompletionSource<int> lost, FakeLockService service)
    {
        var handle = await client.AcquireAsync(name, cancellationToken: Ct);
        handle.LostToken.Register(() => lost.TrySetResult(service.CallCount("release")));
    }

    private static async Task CollectUntil(Task done)
    {
        for (var round = 0; !done.IsCompleted; round++)
        {
            Assert.True(round < 600, "the abandoned handle was never finalized");
            GC.Collect();
            GC.WaitForPendingFinalizers();
            await Task.WhenAny(done, Task.Delay(10, Ct)); // collect again until the finalizer's work has run
        }
    }
}
