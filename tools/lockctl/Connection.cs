using Azure.Data.Tables;
using LockService.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace LockService.Cli;

/// <summary>Where the cluster is: the same identity and membership table as the silos (README, "Configuration").</summary>
internal sealed record Connection(string Storage, string ClusterId, string ServiceId, TimeSpan SessionTtl, bool Verbose)
{
    /// <summary>An Orleans client of the cluster with the SDK. Orleans' transient connection warnings stay quiet unless verbose.</summary>
    public async Task<IHost> ConnectAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.SetMinimumLevel(Verbose ? LogLevel.Debug : LogLevel.Warning);
        if (!Verbose)
        {
            builder.Logging.AddFilter("Orleans", LogLevel.Error);
        }

        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ServiceId;
            });
            client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(Storage));
        });
        builder.Services.AddLockClient(o => o.SessionTtl = SessionTtl);
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
}
