using System.Diagnostics;
using System.Text.Json;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>
/// lockctl's operator commands against silo processes, with the exit codes tools/lockctl/README.md documents: status
/// (0 on a healthy cluster, 6 without the read key a silo wants), describe, watch and list (--json), release by token and
/// the admin actions (6 without the key, 5 with nothing to act on, 0 when done, with what they did in the output).
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class LockctlOperatorTests(AzuriteFixture azurite)
{
    private const string Key = "lockctl-admin-key-7d2e";
    private const string ReadKey = "lockctl-read-key-41c9";
    private const string Name = "jobs/report";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 420_000)]
    public async Task Operator_commands_print_what_they_did_and_exit_with_the_documented_codes()
    {
        var ct = TestContext.Current.CancellationToken;
        // Every silo takes admin actions with the key; silo 2 also wants a key for reads.
        await using var cluster = await SiloProcessCluster.StartAsync(
            new SiloProcessOptions
            {
                StorageConnectionString = azurite.ConnectionString,
                StartTimeout = TimeSpan.FromSeconds(150),
                Environment = new Dictionary<string, string> { ["LockService__Admin__ApiKey"] = Key },
                SiloEnvironment = i => i == 2 ? new Dictionary<string, string> { ["LockService__Http__ReadApiKey"] = ReadKey } : new Dictionary<string, string>(),
            },
            ct);
        using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(10)), cancellationToken: Ct);
        var locks = client.Services.GetRequiredService<ILockClient>();
        await new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>()).WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var url = Url(cluster.Silos[0]);

        // status: a healthy cluster exits 0, as text and as JSON, and names every silo.
        var status = await RunAsync(cluster, "status", "--url", url);
        Assert.True(status.Code == 0, status.ToString());
        Assert.Contains("group 0: leader replica ", status.Out);
        Assert.Contains("healthy: every group has a leader", status.Out);
        Assert.All(cluster.Silos, s => Assert.Contains($"127.0.0.1:{s.SiloPort}", status.Out));
        var statusJson = await RunAsync(cluster, "status", "--url", url, "--json");
        Assert.True(statusJson.Code == 0, statusJson.ToString());
        using (var document = JsonDocument.Parse(statusJson.Out))
        {
            Assert.True(document.RootElement.GetProperty("healthy").GetBoolean());
            Assert.Equal(JsonValueKind.Number, document.RootElement.GetProperty("groups")[0].GetProperty("leader").ValueKind);
            Assert.Equal(3, document.RootElement.GetProperty("silos").GetArrayLength());
        }

        // A silo with a read key: refused without it (6), served with it.
        Assert.Equal(6, (await RunAsync(cluster, "status", "--url", Url(cluster.Silos[2]))).Code);
        var keyed = await RunAsync(cluster, "status", "--url", Url(cluster.Silos[2]), "--api-key", ReadKey);
        Assert.True(keyed.Code == 0, keyed.ToString());

        // describe --json: the holder with its token.
        var held = await locks.AcquireAsync(Name, TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var described = await RunAsync(cluster, "describe", Name, "--json");
        Assert.True(described.Code == 0, described.ToString());
        using (var document = JsonDocument.Parse(described.Out))
        {
            Assert.True(document.RootElement.GetProperty("held").GetBoolean());
            var holder = Assert.Single(document.RootElement.GetProperty("holders").EnumerateArray());
            Assert.Equal(held.Token.ToString(), holder.GetProperty("token").GetString());
            Assert.Equal("Exclusive", holder.GetProperty("mode").GetString());
        }

        // watch --json: a line for the holder, another when it lets go; Ctrl+C ends the watch with 0.
        using var watch = Lockctl.Start(cluster, "watch", Name, "--json", "--interval", "200ms");
        try
        {
            using var first = JsonDocument.Parse(await ReadLineAsync(watch));
            Assert.True(first.RootElement.GetProperty("held").GetBoolean());
            Assert.Equal(held.Token.ToString(), first.RootElement.GetProperty("holders")[0].GetProperty("token").GetString());
            await held.ReleaseAsync(Ct);
            using var second = JsonDocument.Parse(await ReadLineAsync(watch));
            Assert.False(second.RootElement.GetProperty("held").GetBoolean());
            // SIGTERM, not SIGINT: a process started from a script's background job inherits SIGINT ignored (POSIX), and
            // .NET keeps it ignored, so Ctrl+C by signal never reaches a watch run that way (tools/lockctl/README.md).
            Assert.True(ProcessSignals.Send(watch.Id, ProcessSignals.SIGTERM));
            await ExitAsync(watch);
            Assert.Equal(0, watch.ExitCode);
        }
        finally
        {
            Lockctl.KillIfRunning(watch);
        }

        // release by token: 6 without the key (nothing changes), 5 for a grant nobody holds, 0 when it releases.
        var again = await locks.AcquireAsync(Name, TimeSpan.FromSeconds(60), cancellationToken: Ct);
        Assert.Equal(6, (await RunAsync(cluster, "release", Name, "--token", again.Token.ToString(), "--url", url)).Code);
        Assert.Equal(6, (await RunAsync(cluster, "release", Name, "--token", again.Token.ToString(), "--url", url, "--api-key", "wrong")).Code);
        Assert.Equal(again.Token, Assert.Single((await locks.DescribeAsync(Name, Ct))!.Holders).Token);
        Assert.Equal(5, (await RunAsync(cluster, "release", Name, "--token", "1.1", "--url", url, "--api-key", Key)).Code);
        Assert.Equal(again.Token, Assert.Single((await locks.DescribeAsync(Name, Ct))!.Holders).Token);
        var released = await RunAsync(cluster, "release", Name, "--token", again.Token.ToString(), "--url", url, "--api-key", Key);
        Assert.True(released.Code == 0, released.ToString());
        Assert.Contains($"released {Name} up to token {again.Token}", released.Out);
        Assert.False((await locks.DescribeAsync(Name, Ct))?.IsHeld ?? false); // null: the lock is gone, free
        await again.DisposeAsync();

        // admin force-release --json: the released token, and the next grant is higher.
        var third = await locks.AcquireAsync(Name, TimeSpan.FromSeconds(60), cancellationToken: Ct);

        // list PREFIX: every group's locks with that prefix, with holders and the newest token.
        var listed = await RunAsync(cluster, "list", "jobs/", "--url", url, "--json");
        Assert.True(listed.Code == 0, listed.ToString());
        using (var document = JsonDocument.Parse(listed.Out))
        {
            var only = Assert.Single(document.RootElement.GetProperty("locks").EnumerateArray());
            Assert.Equal((Name, "exclusive", 1), (only.GetProperty("name").GetString(), only.GetProperty("kind").GetString(), only.GetProperty("holders").GetInt32()));
            Assert.Equal(third.Token.ToString(), only.GetProperty("newestToken").GetString());
        }

        var none = await RunAsync(cluster, "list", "nothing/", "--url", url);
        Assert.True(none.Code == 0, none.ToString());
        Assert.Contains("0 lock(s) starting with 'nothing/'", none.Out);
        var forced = await RunAsync(cluster, "admin", "force-release", Name, "--json", "--url", url, "--api-key", Key);
        Assert.True(forced.Code == 0, forced.ToString());
        using (var document = JsonDocument.Parse(forced.Out))
        {
            Assert.Equal(third.Token.ToString(), document.RootElement.GetProperty("token").GetString());
        }

        await third.DisposeAsync();
        await using (var next = await locks.AcquireAsync(Name, TimeSpan.FromSeconds(60), cancellationToken: Ct))
        {
            Assert.True(next.Token > third.Token, $"{next.Token} should exceed {third.Token}");
        }

        // A lockctl acquire whose lock an operator took meanwhile finds out when it releases: "lost", exit 3.
        using var lockctlHolder = Lockctl.Start(cluster, "acquire", "jobs/held");
        try
        {
            Assert.StartsWith("acquired jobs/held token ", await ReadLineAsync(lockctlHolder));
            var taken = await RunAsync(cluster, "admin", "force-release", "jobs/held", "--url", url, "--api-key", Key);
            Assert.True(taken.Code == 0, taken.ToString());
            lockctlHolder.StandardInput.Close(); // let go
            Assert.StartsWith("lost jobs/held token ", await ReadLineAsync(lockctlHolder));
            await ExitAsync(lockctlHolder);
            Assert.Equal(3, lockctlHolder.ExitCode);
        }
        finally
        {
            Lockctl.KillIfRunning(lockctlHolder);
        }

        // admin transfer: refused without the key; with it, leadership moves and status is healthy again.
        Assert.Equal(6, (await RunAsync(cluster, "admin", "transfer", "--group", "0", "--url", url)).Code);
        var transfer = await RunAsync(cluster, "admin", "transfer", "--group", "0", "--url", url, "--api-key", Key, "--json");
        Assert.True(transfer.Code == 0, transfer.ToString());
        using (var document = JsonDocument.Parse(transfer.Out))
        {
            Assert.True(document.RootElement.GetProperty("ok").GetBoolean());
        }

        var afterTransfer = await RunAsync(cluster, "status", "--url", url);
        Assert.True(afterTransfer.Code == 0, afterTransfer.ToString());

        // admin drain: 5 for a silo that does not exist; a real one is marked drained, and undrain clears it.
        Assert.Equal(5, (await RunAsync(cluster, "admin", "drain", "10.255.255.1:1", "--url", url, "--api-key", Key)).Code);
        var endpoint = $"127.0.0.1:{cluster.Silos[1].SiloPort}";
        var drained = await RunAsync(cluster, "admin", "drain", endpoint, "--url", url, "--api-key", Key);
        Assert.True(drained.Code == 0, drained.ToString());
        Assert.Contains($"{endpoint}", (await RunAsync(cluster, "status", "--url", url)).Out.Split('\n').Single(l => l.Contains("DRAINED", StringComparison.Ordinal)));
        var undrained = await RunAsync(cluster, "admin", "undrain", endpoint, "--url", url, "--api-key", Key);
        Assert.True(undrained.Code == 0, undrained.ToString());
        Assert.DoesNotContain("DRAINED", (await RunAsync(cluster, "status", "--url", url)).Out);
        await locks.DisposeAsync();
    }

    private static string Url(SiloProcess silo) => $"http://127.0.0.1:{silo.HttpPort}";

    private static Task<Lockctl.Outcome> RunAsync(SiloProcessCluster cluster, params string[] arguments) => Lockctl.RunAsync(cluster, Ct, arguments);

    private static Task ExitAsync(Process process) =>
        Lockctl.WithinLimitAsync(process, async c => { await process.WaitForExitAsync(c); return 0; }, "lockctl to exit", Ct);

    private static async Task<string> ReadLineAsync(Process process) =>
        await Lockctl.WithinLimitAsync(process, c => process.StandardOutput.ReadLineAsync(c).AsTask(), "lockctl's next line", Ct)
            ?? throw new InvalidOperationException($"lockctl exited: {await process.StandardError.ReadToEndAsync(Ct)}");
}
