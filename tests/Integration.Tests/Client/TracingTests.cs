using System.Collections.Concurrent;
using System.Diagnostics;
using LockService.Client.Diagnostics;
using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// One trace from the SDK's acquire to the replica's request span (proposed, committed, applied, answered): Orleans
/// propagates the trace context across the grain call, so the replica's span descends from the acquire span.
/// </summary>
public sealed class TracingTests(AzuriteFixture azurite)
{
    private static readonly string[] Sources = [LockClientTracing.SourceName, ReplicaTracing.SourceName, "Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime"];

    [Fact]
    public async Task The_replicas_span_of_an_acquire_descends_from_the_sdks_acquire_span()
    {
        var ct = TestContext.Current.CancellationToken;
        var started = new ConcurrentDictionary<ActivitySpanId, Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = activity => started[activity.SpanId] = activity,
        };
        ActivitySource.AddActivityListener(listener);
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        var name = "traced/" + Guid.NewGuid().ToString("N")[..8];

        await using (var handle = await cluster.LockClient.AcquireAsync(name, TimeSpan.FromSeconds(10), cancellationToken: ct))
        {
            var acquire = Assert.Single(started.Values, a => a.OperationName == "lockservice.acquire" && (string?)a.GetTagItem("lockservice.lock") == name);
            var replicaSpans = started.Values
                .Where(a => a.Source.Name == ReplicaTracing.SourceName && (string?)a.GetTagItem("lockservice.lock") == name && a.OperationName == "lockservice.replica.acquire")
                .ToArray();

            var granted = Assert.Single(replicaSpans, a => (string?)a.GetTagItem("lockservice.token") == handle.Token.ToString());
            Assert.Equal(acquire.TraceId, granted.TraceId);
            Assert.Contains(acquire.SpanId, Ancestors(granted, started));
        }

        Assert.Contains(started.Values, a => a.OperationName == "lockservice.release" && (string?)a.GetTagItem("lockservice.lock") == name);
    }

    /// <summary>The span ids above <paramref name="activity"/>, following recorded parents (across the grain call, by remote parent id).</summary>
    private static IEnumerable<ActivitySpanId> Ancestors(Activity activity, ConcurrentDictionary<ActivitySpanId, Activity> started)
    {
        var parent = activity.ParentSpanId;
        for (var depth = 0; depth < 20 && parent != default; depth++)
        {
            yield return parent;
            parent = started.TryGetValue(parent, out var above) ? above.ParentSpanId : default;
        }
    }
}
