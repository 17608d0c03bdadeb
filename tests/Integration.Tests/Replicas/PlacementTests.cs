using LockService.Integration.Tests.Infrastructure;

namespace LockService.Integration.Tests.Replicas;

/// <summary>Replicas of a group live on distinct silos, and move apart again after a silo is replaced.</summary>
public sealed class PlacementTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replicas_start_on_distinct_silos_and_spread_again_when_a_lost_silo_is_replaced()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite, silos: 3);
        // Silos join one by one and the first wakes every replica, so replicas start together and then move apart.
        await WaitUntilAsync(async () => (await SilosOfReplicas(cluster)).Distinct().Count() == 3, "replicas on three distinct silos");
        await cluster.WaitForLeaderAsync();

        var held = await cluster.LockClient.AcquireAsync("placed", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        var victim = cluster.Cluster.Silos[^1];
        await cluster.Cluster.KillSiloAsync(victim, Ct);

        // With two silos left, the lost replica reactivates next to another one; the group keeps a majority.
        await WaitUntilAsync(async () => (await SilosOfReplicas(cluster)).All(s => s != victim.SiloAddress.ToString()), "lost replica reactivated");
        Assert.True(await cluster.LockClient.IsCurrentAsync("placed", held.Token, Ct));

        await cluster.Cluster.StartAdditionalSiloAsync();
        await WaitUntilAsync(async () => (await SilosOfReplicas(cluster)).Distinct().Count() == 3, "replicas spread over three silos again");

        await cluster.WaitForLeaderAsync();
        Assert.True(await cluster.LockClient.IsCurrentAsync("placed", held.Token, Ct));
    }

    private static async Task<string[]> SilosOfReplicas(LockServiceCluster cluster) =>
        (await Task.WhenAll(Enumerable.Range(0, 3).Select(r => cluster.Replica(0, r).Status()))).Select(s => s.Silo).ToArray();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(45);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not reached within 45 s: {what}");
            await Task.Delay(100, Ct);
        }
    }
}
