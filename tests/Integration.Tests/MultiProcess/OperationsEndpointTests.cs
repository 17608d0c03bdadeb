using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>
/// What an operator's tools see over each silo's HTTP port, on the deployment shape of tools/run.sh: health probes,
/// Prometheus metrics and the lease pages and JSON API for a lock whose name contains '/'.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed partial class OperationsEndpointTests(AzuriteFixture azurite)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 300_000)]
    public async Task Health_metrics_and_lease_pages_show_a_held_lock_named_with_a_slash()
    {
        Assert.False(TestContext.Current.CancellationToken.IsCancellationRequested);
        await using var cluster = await SiloProcessCluster.StartAsync(new SiloProcessOptions { StorageConnectionString = azurite.ConnectionString, StartTimeout = TimeSpan.FromSeconds(150) }, Ct);
        using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(10)), cancellationToken: Ct);
        var locks = client.Services.GetRequiredService<ILockClient>();
        try
        {
            var probe = new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>());
            await probe.WaitForLeaderAsync(spread: true, timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct);

            // Live at once; ready once the silo is active and its groups have a leader (eventually on every silo).
            foreach (var silo in cluster.Silos)
            {
                using var live = await Http.GetAsync(Url(silo, "/healthz/live"), Ct);
                Assert.Equal(HttpStatusCode.OK, live.StatusCode);
                await Eventually.Until(
                    async () =>
                    {
                        using var ready = await Http.GetAsync(Url(silo, "/healthz/ready"), Ct);
                        return ready.StatusCode;
                    },
                    status => status == HttpStatusCode.OK,
                    $"{silo} ready",
                    TimeSpan.FromSeconds(30));
            }

            var grantsBefore = await SumOfGrantsAsync(cluster);
            await using var handle = await locks.AcquireAsync("orders/42", TimeSpan.FromSeconds(10), cancellationToken: Ct);

            // Metrics: the grant counter moves (summed over silos: it counts on whichever silo leads).
            await Eventually.Until(() => SumOfGrantsAsync(cluster), grants => grants > grantsBefore, "lockservice_grants_total moves past " + grantsBefore);
            var metrics = await Task.WhenAll(cluster.Silos.Select(silo => Http.GetStringAsync(Url(silo, "/metrics"), Ct)));
            Assert.Contains(metrics, text => text.Contains("# TYPE lockservice_grants_total counter", StringComparison.Ordinal));
            Assert.All(metrics, text => Assert.Contains("orleans_", text, StringComparison.Ordinal)); // Orleans' own meter too

            // The JSON API describes the lock by its real name, whether the slash is literal or escaped.
            foreach (var path in new[] { "/api/locks/orders/42", "/api/locks/orders%2F42" })
            {
                using var json = JsonDocument.Parse(await Http.GetStringAsync(Url(cluster.Silos[1], path), Ct));
                Assert.Equal("orders/42", json.RootElement.GetProperty("name").GetString());
                var holder = Assert.Single(json.RootElement.GetProperty("holders").EnumerateArray());
                Assert.Equal(handle.Token.ToString(), FormatToken(holder.GetProperty("token")));
            }

            // The lease pages list it with a link that leads to its page, which shows the token.
            var leases = await Http.GetStringAsync(Url(cluster.Silos[2], "/leases"), Ct);
            var link = LockLink().Match(leases);
            Assert.True(link.Success, "no link to orders/42 on /leases");
            var page = await Http.GetStringAsync(Url(cluster.Silos[2], WebUtility.HtmlDecode(link.Groups["href"].Value)), Ct);
            Assert.Contains("Lock orders/42", page);
            Assert.Contains(handle.Token.ToString(), page);

            // The dashboard: its start page links to the lease pages, and its Grain Details answer for the leader's
            // replica (GetState) holds the lock with its token; the lease pages link every replica there.
            var dashboard = await Http.GetStringAsync(Url(cluster.Silos[0], "/dashboard/"), Ct);
            Assert.Contains("href=\"/leases\"", dashboard);
            var leaderKey = (await probe.WaitForLeaderAsync(spread: false, timeout: TimeSpan.FromSeconds(30), cancellationToken: Ct)).ReplicaKey;
            Assert.Contains(WebUtility.HtmlEncode($"/dashboard/GrainState?grainId={Uri.EscapeDataString(leaderKey)}&grainType=LockService.Hosting.ReplicaGrain"), leases);
            // The dashboard answers its JSON as a JSON string (what its Grain Details page prints).
            using var answer = JsonDocument.Parse(await Http.GetStringAsync(
                Url(cluster.Silos[1], $"/dashboard/GrainState?grainId={Uri.EscapeDataString(leaderKey)}&grainType=LockService.Hosting.ReplicaGrain"), Ct));
            using var grainState = JsonDocument.Parse(answer.RootElement.GetString()!);
            var state = grainState.RootElement.GetProperty("GetState");
            Assert.Equal("Leader", state.GetProperty("Role").GetString());
            var shown = Assert.Single(state.GetProperty("Locks").EnumerateArray(), l => l.GetProperty("Name").GetString() == "orders/42");
            Assert.Equal(handle.Token.ToString(), Assert.Single(shown.GetProperty("Holders").EnumerateArray()).GetProperty("Token").GetString());
        }
        finally
        {
            await locks.DisposeAsync();
            await client.StopAsync(CancellationToken.None);
        }
    }

    private static string Url(SiloProcess silo, string path) => $"http://127.0.0.1:{silo.HttpPort}{path}";

    private static string FormatToken(JsonElement token) =>
        string.Create(CultureInfo.InvariantCulture, $"{token.GetProperty("term").GetInt64()}.{token.GetProperty("index").GetInt64()}");

    private static async Task<double> SumOfGrantsAsync(SiloProcessCluster cluster)
    {
        var sum = 0.0;
        foreach (var silo in cluster.Silos)
        {
            var text = await Http.GetStringAsync(Url(silo, "/metrics"), Ct);
            foreach (Match sample in GrantSample().Matches(text))
            {
                sum += double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }

    [GeneratedRegex(@"^lockservice_grants_total(\{[^}]*\})? (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex GrantSample();

    [GeneratedRegex("<a href=\"(?<href>/leases/locks/orders/42)\">orders/42</a>")]
    private static partial Regex LockLink();
}
