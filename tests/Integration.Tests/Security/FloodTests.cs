using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;

namespace LockService.Integration.Tests.Security;

/// <summary>
/// Floods past the configured limits (small ones, so the test is quick): every refused request gets a typed status,
/// the limits hold, and another client keeps being served. Its latency during the flood is written to the test
/// output for the report, never asserted.
/// </summary>
public sealed class FloodTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_session_opening_flood_and_a_proposal_flood_are_refused_with_typed_errors_while_others_are_served()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite, service: o => o.ClientLimits = new()
        {
            MaxSessionsPerGroup = 150,
            SessionOpensPerSecond = 20,
            SessionOpenBurst = 100,
            RequestsPerClientPerSecond = 100,
            RequestBurstPerClient = 40,
        });
        var probe = await SecurityProbe.ConnectAsync(cluster);
        await using var clients = new TestClients(cluster);
        var bystander = clients.Create();
        await (await bystander.AcquireAsync("bystander-warmup", cancellationToken: Ct)).DisposeAsync();
        var latencies = new List<double>();
        using var flooding = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var serving = ServeAsync(bystander, latencies, flooding.Token);

        // 400 fresh identities open sessions at once: past the opening rate and past the group's session cap.
        var opens = await Task.WhenAll(Enumerable.Range(0, 400).Select(_ =>
            probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(Guid.NewGuid(), 1), 60_000)))));
        var openStatuses = opens.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(openStatuses.Keys, s => Assert.Contains(s, new[] { ReplyStatus.Ok, ReplyStatus.Overloaded, ReplyStatus.LimitExceeded }));
        Assert.True(openStatuses.GetValueOrDefault(ReplyStatus.Overloaded) > 0, string.Join(", ", openStatuses));
        Assert.InRange(await probe.SessionCountAsync(), 1, 150);

        // One identity sends 200 proposals at once: past its request rate.
        var key = Guid.NewGuid();
        var own = await probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(key, 1), 60_000)));
        var proposals = own.Status == ReplyStatus.Ok
            ? await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
                probe.Ask(g => g.Acquire(new AcquireRequest(new RequestId(key, 2 + i), own.SessionId, $"flood/{i}", LockMode.Exclusive, 0, 0)))))
            : [];
        if (own.Status == ReplyStatus.Ok)
        {
            var proposalStatuses = proposals.GroupBy(r => r.Status).ToDictionary(g => g.Key, g => g.Count());
            Assert.All(proposalStatuses.Keys, s => Assert.Contains(s, new[] { ReplyStatus.Granted, ReplyStatus.Overloaded }));
            Assert.True(proposalStatuses.GetValueOrDefault(ReplyStatus.Overloaded) > 0, string.Join(", ", proposalStatuses));
        }

        await flooding.CancelAsync();
        await serving;
        Assert.NotEmpty(latencies);
        latencies.Sort();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"Bystander acquire+release during the flood: n={latencies.Count}, p50={latencies[latencies.Count / 2]:F1} ms, " +
            $"p99={latencies[(int)(latencies.Count * 0.99)]:F1} ms, max={latencies[^1]:F1} ms; opens: {string.Join(", ", openStatuses)}");
    }

    private static async Task ServeAsync(ILockClient client, List<double> latencies, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                await using var handle = await client.AcquireAsync("bystander", TimeSpan.FromSeconds(30), cancellationToken: stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
    }
}
