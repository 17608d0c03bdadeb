using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>
/// Admin actions over the JSON API against silo processes: refused without the key (403 where none is configured, 401
/// for a missing or wrong one); a forced release goes through the log (the next grant has a higher token); a
/// leadership transfer moves the leader and every silo is ready again; a drained silo is left by its replicas. A silo
/// with a read key refuses every read without it (401), serves it with the key in any of the three forms, and keeps its
/// health probes open.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class AdminApiTests(AzuriteFixture azurite)
{
    private const string Key = "test-admin-key-5f1c";
    private const string ReadKey = "test-read-key-93ab";
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 360_000)]
    public async Task Admin_actions_need_the_key_and_force_release_transfer_and_drain_take_effect()
    {
        Assert.False(TestContext.Current.CancellationToken.IsCancellationRequested);

        // Silos 0 and 1 have the key; silo 2 has none, so its admin actions are disabled.
        await using var cluster = await SiloProcessCluster.StartAsync(
            new SiloProcessOptions
            {
                StorageConnectionString = azurite.ConnectionString,
                StartTimeout = TimeSpan.FromSeconds(150), // a loaded machine (shared CI runners) starts silos slowly
                // Silo 2 also requires a read key for everything but its health probes.
                SiloEnvironment = i => i < 2
                    ? new Dictionary<string, string> { ["LockService__Admin__ApiKey"] = Key }
                    : new Dictionary<string, string> { ["LockService__Http__ReadApiKey"] = ReadKey },
            },
            Ct);
        using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(10)), cancellationToken: Ct);
        var locks = client.Services.GetRequiredService<ILockClient>();
        var probe = new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>());
        await probe.WaitForLeaderAsync(spread: true, timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct);
        try
        {
            var held = await locks.AcquireAsync("orders/7", TimeSpan.FromSeconds(10), cancellationToken: Ct);
            const string forceRelease = "/api/admin/force-release/orders/7";

            // Refused, and nothing changed.
            using (var disabled = await PostAsync(cluster.Silos[2], forceRelease, key: Key))
            {
                Assert.Equal(HttpStatusCode.Forbidden, disabled.StatusCode);
            }

            using (var missing = await PostAsync(cluster.Silos[0], forceRelease, key: null))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
            }

            using (var wrong = await PostAsync(cluster.Silos[0], forceRelease, key: "not-the-key"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            }

            Assert.Equal(held.Token, Assert.Single((await locks.DescribeAsync("orders/7", Ct))!.Holders).Token);

            // With the key (as a Bearer token): released through the log, so the next grant has a higher token.
            using (var released = await PostAsync(cluster.Silos[1], forceRelease, key: Key, bearer: true))
            {
                Assert.Equal(HttpStatusCode.OK, released.StatusCode);
                using var json = JsonDocument.Parse(await released.Content.ReadAsStringAsync(Ct));
                Assert.Equal(held.Token.ToString(), json.RootElement.GetProperty("token").GetString());
            }

            await using (var next = await locks.AcquireAsync("orders/7", TimeSpan.FromSeconds(10), cancellationToken: Ct))
            {
                Assert.True(next.Token > held.Token, $"{next.Token} should exceed {held.Token}");
            }

            using (var again = await PostAsync(cluster.Silos[0], "/api/admin/force-release/orders/7", key: Key))
            {
                Assert.Equal(HttpStatusCode.NotFound, again.StatusCode); // nobody holds it now
            }

            // Transfer: the leader moves to the named replica; every silo is ready again with the new leader.
            var before = await probe.WaitForLeaderAsync(cancellationToken: Ct);
            var target = (before.LeaderId + 1) % 3;
            using (var transfer = await PostAsync(cluster.Silos[0], $"/api/admin/groups/0/transfer?to={target}", key: Key))
            {
                var body = await transfer.Content.ReadAsStringAsync(Ct);
                Assert.True(transfer.StatusCode == HttpStatusCode.OK, body);
                Assert.Equal(target, JsonDocument.Parse(body).RootElement.GetProperty("leader").GetInt32());
            }

            Assert.Equal(target, (await probe.WaitForLeaderAsync(aboveTerm: before.Term, cancellationToken: Ct)).LeaderId);
            foreach (var silo in cluster.Silos)
            {
                await Eventually.Until(
                    async () => (await Http.GetAsync(Url(silo, "/healthz/ready"), Ct)).StatusCode,
                    status => status == HttpStatusCode.OK,
                    $"{silo} ready after the transfer",
                    TimeSpan.FromSeconds(30));
            }

            // Drain the silo of the current leader: its replicas move away (the leader hands over first), then undrain.
            var leaderSilo = (await probe.WaitForLeaderAsync(cancellationToken: Ct)).Silo;
            var endpoint = leaderSilo.TrimStart('S')[..leaderSilo.TrimStart('S').LastIndexOf(':')];
            using (var drain = await PostAsync(cluster.Silos[0], $"/api/admin/silos/{endpoint}/drain", key: Key))
            {
                Assert.True(drain.StatusCode == HttpStatusCode.OK, await drain.Content.ReadAsStringAsync(Ct));
            }

            await Eventually.Until(
                () => SiloAsync(cluster.Silos[1], endpoint),
                silo => silo.GetProperty("replicas").GetInt32() == 0 && silo.GetProperty("drained").GetBoolean(),
                $"silo {endpoint} drained of replicas",
                TimeSpan.FromSeconds(90));
            var leader = await probe.WaitForLeaderAsync(cancellationToken: Ct);
            Assert.NotEqual(leaderSilo, leader.Silo);

            using (var undrain = await PostAsync(cluster.Silos[0], $"/api/admin/silos/{endpoint}/undrain", key: Key))
            {
                Assert.Equal(HttpStatusCode.OK, undrain.StatusCode);
            }

            using (var unknown = await PostAsync(cluster.Silos[0], "/api/admin/silos/10.9.9.9:1/drain", key: Key))
            {
                Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            }

            // The read key: refused without it (or with a wrong one), served with it, health probes open.
            var reader = cluster.Silos[2];
            foreach (var path in new[] { "/api/groups", "/api/locks/orders/7", "/leases", "/dashboard/", "/metrics" })
            {
                using var anonymous = await GetAsync(reader, path, null);
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "Basic");
            }

            using (var wrongRead = await GetAsync(reader, "/api/groups", new AuthenticationHeaderValue("Bearer", "not-the-key")))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, wrongRead.StatusCode);
            }

            using (var bearerRead = await GetAsync(reader, "/api/groups", new AuthenticationHeaderValue("Bearer", ReadKey)))
            {
                Assert.Equal(HttpStatusCode.OK, bearerRead.StatusCode);
            }

            var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("operator:" + ReadKey));
            using (var browserRead = await GetAsync(reader, "/leases", new AuthenticationHeaderValue("Basic", basic)))
            {
                Assert.Equal(HttpStatusCode.OK, browserRead.StatusCode);
                Assert.Contains("<h1>", await browserRead.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            }

            using (var live = await GetAsync(reader, "/healthz/live", null))
            {
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            }
        }
        finally
        {
            await locks.DisposeAsync();
            await client.StopAsync(CancellationToken.None);
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(SiloProcess silo, string path, string? key, bool bearer = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Url(silo, path));
        if (key is not null && bearer)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        else if (key is not null)
        {
            request.Headers.Add("X-LockService-Key", key);
        }

        return await Http.SendAsync(request, Ct);
    }

    private static async Task<HttpResponseMessage> GetAsync(SiloProcess silo, string path, AuthenticationHeaderValue? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(silo, path));
        request.Headers.Authorization = authorization;
        return await Http.SendAsync(request, Ct);
    }

    private static async Task<JsonElement> SiloAsync(SiloProcess silo, string endpoint)
    {
        using var json = JsonDocument.Parse(await Http.GetStringAsync(Url(silo, "/api/silos"), Ct));
        return json.RootElement.EnumerateArray().Single(s => s.GetProperty("endpoint").GetString() == endpoint).Clone();
    }

    private static string Url(SiloProcess silo, string path) => $"http://127.0.0.1:{silo.HttpPort}{path}";
}
