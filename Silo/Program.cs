using System.ComponentModel.DataAnnotations;
using System.Net;
using LockService.Hosting;
using LockService.Silo.Admin;
using LockService.Silo.Health;
using LockService.Silo.Hosting;
using LockService.Silo.Inspection;
using LockService.Silo.Security;
using Orleans.Configuration;
using Orleans.Dashboard;

var builder = WebApplication.CreateBuilder(args);

var hostOptions = builder.Configuration.GetSection(SiloHostOptions.SectionName).Get<SiloHostOptions>() ?? new SiloHostOptions();
// Validated now as well as on start: the endpoints below are built from these values before the host starts.
Validator.ValidateObject(hostOptions, new ValidationContext(hostOptions), validateAllProperties: true);
builder.Services.AddOptions<SiloHostOptions>()
    .Bind(builder.Configuration.GetSection(SiloHostOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();

builder.WebHost.UseUrls($"http://{FormatHost(hostOptions.HttpListenAddress)}:{hostOptions.HttpPort}");

builder.UseOrleans(silo =>
{
    silo.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = hostOptions.ClusterId;
        o.ServiceId = hostOptions.ServiceId;
    });
    // Loopback unless configured: a multi-machine cluster sets AdvertisedAddress (what peers dial) and usually
    // ListenOnAnyAddress (bind 0.0.0.0 behind the advertised address, as in containers).
    silo.ConfigureEndpoints(
        IPAddress.Parse(hostOptions.AdvertisedAddress), hostOptions.SiloPort, hostOptions.GatewayPort, listenOnAnyHostAddress: hostOptions.ListenOnAnyAddress);

    if (string.Equals(hostOptions.Clustering, "Localhost", StringComparison.OrdinalIgnoreCase))
    {
        silo.UseDevelopmentClustering(new IPEndPoint(IPAddress.Loopback, hostOptions.PrimarySiloPort));
    }
    else
    {
        silo.UseAzureStorageClustering(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(hostOptions.StorageConnectionString));
    }

    // A silo silent for about 3 s is declared dead, by two voters. One voter and 2 missed probes evicted silos that
    // were only paused or starved for 2-4 s, and each eviction costs a restart and two replica moves; Raft's own
    // election does not wait for membership, so the failover gap does not grow (docs/RELIABILITY.md has the runs).
    // Overridable under LockService:Membership.
    silo.Configure<ClusterMembershipOptions>(o =>
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(1);
        o.MaxProbeTimeout = TimeSpan.FromSeconds(1);
        o.NumMissedProbesLimit = 3;
        o.NumVotesForDeathDeclaration = 2;
    });
    silo.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("LockService:Membership"));

    silo.AddAzureTableGrainStorageAsDefault(o => o.TableServiceClient = new Azure.Data.Tables.TableServiceClient(hostOptions.StorageConnectionString));
    silo.AddLockService(o =>
    {
        // Two services on one storage account must not share replica logs: unless configured, names follow ServiceId.
        var serviceName = new string(hostOptions.ServiceId.Where(char.IsAsciiLetterOrDigit).ToArray()).ToLowerInvariant();
        o.TableName = serviceName + "log";
        o.SnapshotContainer = serviceName + "-snapshots";
        builder.Configuration.GetSection(SiloHostOptions.SectionName).Bind(o);
    });
    silo.AddDashboard();

    // TLS between silos and for clients at the gateway (off unless LockService:Tls:Enabled; see docs/SECURITY.md).
    if (builder.Configuration.GetSection("LockService:Tls").Get<LockService.Security.LockServiceTlsOptions>() is { Enabled: true } tls)
    {
        LockService.Security.SiloTlsExtensions.UseLockServiceTls(silo, tls);
    }

    // Test-only: the chaos harness's partition fault (off unless LockService:FaultInjection:PartitionDirectory is set).
    if (builder.Configuration.GetSection(FaultInjectionOptions.SectionName).Get<FaultInjectionOptions>()?.PartitionDirectory is { Length: > 0 } partitions)
    {
        silo.Services.AddSingleton(sp => new PartitionFaultFilter(partitions, hostOptions.SiloPort, sp.GetRequiredService<ILogger<PartitionFaultFilter>>()));
        silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<PartitionFaultFilter>());
        silo.Services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<PartitionFaultFilter>());
    }
});

builder.Services.AddSingleton<LockServiceInspector>();
builder.Services.AddSingleton<LockServiceAdmin>();
builder.Services.AddOptions<AdminOptions>().Bind(builder.Configuration.GetSection(AdminOptions.SectionName));
builder.Services.AddOptions<HttpAccessOptions>().Bind(builder.Configuration.GetSection(HttpAccessOptions.SectionName));
builder.Services.AddLockServiceHealthChecks();
builder.Services.AddLockServiceMetrics(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

var app = builder.Build();
app.UseLockServiceReadAuthorization();
app.MapLockServiceHealthChecks();
app.MapLockServiceMetrics();
app.MapGet("/", () => Results.Redirect("/leases"));
app.MapLeasePages();
app.MapLockServiceAdmin();
app.UseLeaseLinksInDashboard();
app.MapOrleansDashboard(DashboardLinks.DashboardPath);
app.Lifetime.ApplicationStarted.Register(() =>
{
    app.Logger.LogInformation(
        "Silo ready: dashboard http://{HttpHost}:{HttpPort}/dashboard, lease pages http://{HttpHost}:{HttpPort}/leases, metrics /metrics, health /healthz/ready, gateway {Address}:{GatewayPort}, silo port {SiloPort}",
        FormatHost(hostOptions.HttpListenAddress), hostOptions.HttpPort, FormatHost(hostOptions.HttpListenAddress), hostOptions.HttpPort, hostOptions.AdvertisedAddress, hostOptions.GatewayPort, hostOptions.SiloPort);
});
app.Run();

static string FormatHost(string address) => IPAddress.Parse(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address;
