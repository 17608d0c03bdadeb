using LockService.Client;
using LockService.Client.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Integration.Tests.MultiProcess;
using LockService.Protocol;
using LockService.Security;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.Security;

/// <summary>TLS between silos and to the gateway: a client with a trusted certificate is served; without one, or with an untrusted one, it is refused.</summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class TlsTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 480_000)]
    public async Task Silo_processes_with_required_client_certificates_serve_a_trusted_client_and_refuse_others()
    {
        Assert.False(TestContext.Current.CancellationToken.IsCancellationRequested);
        using var certificates = new TestCertificates();
        var tls = certificates.Silo(ClientCertificateMode.Required);
        await using var cluster = await SiloProcessCluster.StartAsync(
            new SiloProcessOptions
            {
                StorageConnectionString = azurite.ConnectionString,
                StartTimeout = TimeSpan.FromMinutes(3), // TLS handshakes on a machine shared with other builds start slowly
                Environment = new Dictionary<string, string>
                {
                    ["LockService__Tls__Enabled"] = "true",
                    ["LockService__Tls__CertificatePath"] = tls.CertificatePath,
                    ["LockService__Tls__TrustedCertificatePath"] = tls.TrustedCertificatePath,
                    ["LockService__Tls__ClientCertificates"] = "Required",
                },
            },
            Ct);

        // Trusted: the silos replicated over TLS (a leader was elected, a lock granted) and this client is served.
        using (var trusted = await ConnectAsync(cluster, certificates.Client(certificates.ClientPath)))
        {
            await new ReplicaProbe(trusted.Services.GetRequiredService<IClusterClient>()).WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct);
            await using var handle = await trusted.Services.GetRequiredService<ILockClient>().AcquireAsync("over-tls", cancellationToken: Ct);
            Assert.True(handle.Token.Index > 0);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => TopologyThroughAsync(cluster, certificates.Client(null)));
        await Assert.ThrowsAnyAsync<Exception>(() => TopologyThroughAsync(cluster, certificates.Client(certificates.UntrustedPath)));
    }

    private static Task<Microsoft.Extensions.Hosting.IHost> ConnectAsync(SiloProcessCluster cluster, LockServiceTlsOptions tls) =>
        ClusterClientHost.StartAsync(
            cluster, services => services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(10)), cancellationToken: Ct, client: c => c.UseLockServiceTls(tls));

    private static async Task<LockTopology> TopologyThroughAsync(SiloProcessCluster cluster, LockServiceTlsOptions tls)
    {
        using var host = await ConnectAsync(cluster, tls).WaitAsync(TimeSpan.FromSeconds(60), Ct);
        var grains = host.Services.GetRequiredService<IClusterClient>();
        return await grains.GetGrain<ILockDirectoryGrain>(ILockDirectoryGrain.Key).GetTopology().WaitAsync(TimeSpan.FromSeconds(30), Ct);
    }
}
