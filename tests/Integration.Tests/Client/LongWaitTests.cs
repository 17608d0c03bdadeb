using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;

namespace LockService.Integration.Tests.Client;

/// <summary>One client waits for a lock for a long time while its other callers keep working.</summary>
public sealed class LongWaitTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_wait_that_lasts_does_not_stop_the_same_clients_other_requests()
    {
        // Regression: a waiting acquire kept its request unacknowledged for as long as it waited, so the service
        // remembered every later answer of the client, and after 1,024 of them (LeaseLimits.
        // MaxPendingRequestsPerClient) refused every request of that client with LockLimitExceededException.
        const int Callers = 8;
        const int Rounds = 70; // 8 × 70 × (acquire + release) = 1,120 requests while the wait lasts
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);

        // A short poll, so that the wait's first answer (Queued, which acknowledges it) comes back early.
        var (other, client) = (extra.Create(), extra.Create(o => o.WaitPollInterval = TimeSpan.FromMilliseconds(250)));

        // A leader election: another process leads; this one waits (no timeout) for its turn...
        var leading = await other.AcquireAsync("leader", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        var election = client.AcquireAsync("leader", cancellationToken: Ct);
        await Eventually.Until(() => client.DescribeAsync("leader", Ct), d => d?.Waiters.Count == 1, "waiting to lead");

        // ...while its other callers take and release other locks, more often than that limit.
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; n < Rounds; n++)
            {
                var handle = await client.AcquireAsync($"work-{caller}", TimeSpan.FromSeconds(10), cancellationToken: Ct);
                await handle.ReleaseAsync(Ct);
            }
        }, Ct)));
        TestContext.Current.TestOutputHelper?.WriteLine($"{Callers * Rounds} acquire+release in {watch.Elapsed.TotalSeconds:0.0} s");

        Assert.False(election.IsCompleted);
        await leading.ReleaseAsync(Ct);
        var led = await election.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.True(led.Token > leading.Token);
        await led.ReleaseAsync(Ct);
    }
}
