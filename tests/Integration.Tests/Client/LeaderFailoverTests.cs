using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace LockService.Integration.Tests.Client;

/// <summary>The leader's silo dies in the middle of a workload: the SDK's callers are delayed, never misled.</summary>
public sealed class LeaderFailoverTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Killing_the_leaders_silo_during_a_workload_delays_callers_but_never_gives_a_wrong_answer()
    {
        const int Clients = 3;
        const int CallersPerClient = 2;
        const int Iterations = 40;
        const int Total = Clients * CallersPerClient * Iterations;
        const int KillAfter = Total / 4;

        // Four silos: the group's three replicas are on three of them, so whichever silo dies, two replicas live.
        await using var cluster = await LockServiceCluster.StartAsync(azurite, silos: 4);
        await cluster.WaitForLeaderAsync();
        await using var extra = new TestClients(cluster);
        using var log = new RecordingLogger();

        // The SDK's default TTL (10 s), not the 5 s of the other tests: a keepalive that was on its way to the
        // dying silo stays unanswered for CallTimeout (5 s) before the SDK tries another replica, so a session
        // survives a leader's death without losing its locks only if its lease outlasts interval + CallTimeout.
        var clients = extra.Create(Clients, o => o.SessionTtl = TimeSpan.FromSeconds(10), log.Factory);
        var counter = new GuardedCounter();
        var lost = 0;
        var slowest = TimeSpan.Zero;
        var underway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var watch = Stopwatch.StartNew();
        var workload = Task.WhenAll(clients.SelectMany(client => Enumerable.Range(0, CallersPerClient).Select(_ => Task.Run(async () =>
        {
            for (var n = 0; n < Iterations; n++)
            {
                // Every operation must succeed, however long the failover takes within these generous bounds.
                var started = Stopwatch.GetTimestamp();
                var handle = await client.AcquireAsync("failover", TimeSpan.FromSeconds(90), cancellationToken: Ct);
                using var lostWhileHeld = handle.LostToken.Register(() => Interlocked.Increment(ref lost));
                await counter.IncrementAsync(handle.Token);
                await handle.ReleaseAsync(Ct);
                var took = Stopwatch.GetElapsedTime(started);
                lock (counter)
                {
                    slowest = took > slowest ? took : slowest;
                }

                if (counter.Value >= KillAfter)
                {
                    underway.TrySetResult();
                }
            }
        }, Ct))));

        await underway.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var leader = await cluster.WaitForLeaderAsync();
        var killedAfter = counter.Entries.Count;
        log.Factory.CreateLogger("test").LogWarning("killing the leader's silo {Silo}", leader.Silo);
        await cluster.Cluster.KillSiloAsync(cluster.Cluster.Silos.Single(s => s.SiloAddress.ToString() == leader.Silo), Ct);

        await workload.WaitAsync(TimeSpan.FromMinutes(3), Ct);
        watch.Stop();
        var newLeader = await cluster.WaitForLeaderAsync();
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Total} grants in {watch.Elapsed.TotalSeconds:0.0} s; leader killed after {killedAfter}; longest stall between grants " +
            $"{counter.LongestGap().TotalSeconds:0.00} s; slowest acquire+release {slowest.TotalSeconds:0.00} s; term {leader.Term} -> {newLeader.Term}");
        try
        {
            counter.AssertExclusive(Total);
            Assert.Equal(0, lost);
            Assert.True(newLeader.Term > leader.Term);
            Assert.NotEqual(leader.Silo, newLeader.Silo);
            Assert.True(counter.Entries.Count(t => t.Term > leader.Term) >= Total / 2, "the work after the kill was granted by the new leader");
            Assert.Null(await clients[0].DescribeAsync("failover", Ct));
        }
        catch (Exception)
        {
            foreach (var line in log.Lines)
            {
                TestContext.Current.TestOutputHelper?.WriteLine(line);
            }

            throw;
        }
    }
}
