using System.Diagnostics;
using LockService.Client;
using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>Three silos start, serve and run one after another, never beside other tests: timings on 2 cores.</summary>
[CollectionDefinition(nameof(MultiProcessCollection), DisableParallelization = true)]
public sealed class MultiProcessCollection;

/// <summary>
/// The deployment shape of tools/run.sh: three <c>LockService.Silo</c> processes clustered through Azure Table storage
/// on the test run's Azurite, and an Orleans client with the SDK. The leader's silo process is SIGKILLed (or
/// SIGTERMed); the group carries on with every committed grant intact.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class MultiProcessFailoverTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 120_000)]
    public async Task Killing_the_leaders_silo_process_elects_a_new_leader_that_keeps_every_committed_grant()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartClusterAsync();
        using var client = await ConnectAsync(cluster);
        var probe = new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>());
        var locks = client.Services.GetRequiredService<ILockClient>();
        try
        {
            await probe.WaitForLeaderAsync(spread: true, timeout: TimeSpan.FromSeconds(60), cancellationToken: ct);
            var held = new List<LockHandle>();
            for (var i = 0; i < 5; i++)
            {
                held.Add(await locks.AcquireAsync($"before-{i}", TimeSpan.FromSeconds(10), cancellationToken: ct));
            }

            var released = await locks.AcquireAsync("released-before", TimeSpan.FromSeconds(10), cancellationToken: ct);
            await released.ReleaseAsync(ct);

            var leader = await probe.WaitForLeaderAsync(spread: true, cancellationToken: ct);
            var victim = cluster.FindBySiloAddress(leader.Silo) ?? throw new InvalidOperationException($"no silo process has address {leader.Silo}");
            var killedAt = cluster.Kill(victim);
            Assert.False(victim.IsRunning);

            // The first acquire that succeeds after the kill; each try has a short deadline, as a caller would.
            var first = await AcquireUntilSuccessAsync(locks, "after-kill", TimeSpan.FromSeconds(30));
            var gap = Stopwatch.GetElapsedTime(killedAt);
            TestContext.Current.TestOutputHelper?.WriteLine($"killed {victim} (leader {leader.ReplicaKey}, term {leader.Term}); first acquire after {gap.TotalMilliseconds:0} ms");

            var newLeader = await probe.WaitForLeaderAsync(aboveTerm: leader.Term, timeout: TimeSpan.FromSeconds(30), cancellationToken: ct);
            Assert.NotEqual(victim, cluster.FindBySiloAddress(newLeader.Silo));

            // Every grant committed before the kill is still there, with the same token; the released lock is not.
            foreach (var handle in held)
            {
                Assert.True(await locks.IsCurrentAsync(handle.Name, handle.Token, ct), $"{handle.Name} lost its grant {handle.Token}");
            }

            Assert.False(await locks.IsCurrentAsync(released.Name, released.Token, ct));
            Assert.Null(await locks.TryAcquireAsync("before-0", cancellationToken: ct)); // still held: no second holder

            // Tokens keep rising, in the new leader's term.
            var maxBefore = held.Append(released).Max(h => h.Token);
            Assert.True(first.Token > maxBefore, $"{first.Token} should exceed {maxBefore}");
            var next = await locks.AcquireAsync("released-before", TimeSpan.FromSeconds(10), cancellationToken: ct);
            Assert.True(next.Token > first.Token, $"{next.Token} should exceed {first.Token}");
            Assert.True(next.Token.Term > leader.Term);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{Logs(cluster)}", e);
        }
        finally
        {
            await locks.DisposeAsync();
            await client.StopAsync(CancellationToken.None);
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Stopping_the_leaders_silo_gracefully_hands_leadership_to_another_replica_first()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartClusterAsync();
        using var client = await ConnectAsync(cluster);
        var probe = new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>());
        var locks = client.Services.GetRequiredService<ILockClient>();
        try
        {
            var leader = await probe.WaitForLeaderAsync(spread: true, timeout: TimeSpan.FromSeconds(60), cancellationToken: ct);
            var before = await locks.AcquireAsync("before", TimeSpan.FromSeconds(10), cancellationToken: ct);
            leader = await probe.WaitForLeaderAsync(spread: true, cancellationToken: ct);
            var victim = cluster.FindBySiloAddress(leader.Silo) ?? throw new InvalidOperationException($"no silo process has address {leader.Silo}");

            await cluster.TerminateAsync(victim, TimeSpan.FromSeconds(30), ct);

            // The draining leader handed over before it stopped: its log says so, and a successor leads.
            var log = await File.ReadAllTextAsync(victim.LogPath, ct);
            Assert.Contains($"Replica {leader.ReplicaKey} hands leadership to replica", log);
            var newLeader = await probe.WaitForLeaderAsync(aboveTerm: leader.Term, timeout: TimeSpan.FromSeconds(30), cancellationToken: ct);
            Assert.NotEqual(victim, cluster.FindBySiloAddress(newLeader.Silo));
            TestContext.Current.TestOutputHelper?.WriteLine($"stopped {victim} (leader {leader.ReplicaKey}, term {leader.Term}); new leader {newLeader.ReplicaKey}, term {newLeader.Term}");

            Assert.True(await locks.IsCurrentAsync(before.Name, before.Token, ct));
            var after = await locks.AcquireAsync("after", TimeSpan.FromSeconds(10), cancellationToken: ct);
            Assert.True(after.Token > before.Token);

            // The stopped silo comes back on its ports and rejoins; the group keeps serving.
            await cluster.StartSiloAsync(victim, ct);
            var again = await locks.AcquireAsync("after-restart", TimeSpan.FromSeconds(20), cancellationToken: ct);
            Assert.True(again.Token > after.Token);
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n{Logs(cluster)}", e);
        }
        finally
        {
            await locks.DisposeAsync();
            await client.StopAsync(CancellationToken.None);
        }
    }

    private Task<SiloProcessCluster> StartClusterAsync() =>
        SiloProcessCluster.StartAsync(new SiloProcessOptions { StorageConnectionString = azurite.ConnectionString }, Ct);

    private static Task<IHost> ConnectAsync(SiloProcessCluster cluster) =>
        ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(o =>
        {
            o.SessionTtl = TimeSpan.FromSeconds(10);
            o.RequestTimeout = TimeSpan.FromSeconds(30);
        }), cancellationToken: Ct);

    private static async Task<LockHandle> AcquireUntilSuccessAsync(ILockClient locks, string name, TimeSpan limit)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            attempt.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                return await locks.AcquireAsync(name, TimeSpan.FromSeconds(1), cancellationToken: attempt.Token);
            }
            catch (Exception) when (!Ct.IsCancellationRequested && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(10, Ct);
            }
        }
    }

    private static string Logs(SiloProcessCluster cluster) =>
        string.Join("\n", cluster.Silos.Select(s => $"---- {s} log {s.LogPath}:\n{SiloProcessCluster.Tail(s, 30)}"));
}
