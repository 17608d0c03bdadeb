using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace LockService.Testing;

/// <summary>
/// An Orleans client host for a cluster of silo processes: Azure Table clustering on the same storage, cluster and
/// service id. Shared by the multi-process integration tests, bench/LoadBench and bench/Chaos (linked source).
/// </summary>
public static class ClusterClientHost
{
    /// <summary>
    /// Builds and starts the host; <paramref name="services"/> adds to it (for example <c>AddLockClient</c>). Logs go to
    /// the console from <paramref name="logLevel"/> up (none by default).
    /// </summary>
    public static async Task<IHost> StartAsync(
        string storageConnectionString, string clusterId, string serviceId, Action<IServiceCollection>? services = null,
        LogLevel logLevel = LogLevel.None, CancellationToken cancellationToken = default, Action<IClientBuilder>? client = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (logLevel != LogLevel.None)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(logLevel);
        }

        builder.UseOrleansClient(orleans =>
        {
            orleans.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = serviceId;
            });
            orleans.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storageConnectionString));
            client?.Invoke(orleans);
        });
        services?.Invoke(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
            return host;
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    /// <summary>Connects to a <see cref="SiloProcessCluster"/>.</summary>
    public static Task<IHost> StartAsync(
        SiloProcessCluster cluster, Action<IServiceCollection>? services = null, LogLevel logLevel = LogLevel.None, CancellationToken cancellationToken = default,
        Action<IClientBuilder>? client = null) =>
        StartAsync(cluster.StorageConnectionString, cluster.Name, cluster.Name, services, logLevel, cancellationToken, client);
}
