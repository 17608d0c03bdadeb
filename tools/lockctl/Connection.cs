using Azure.Data.Tables;
using LockService.Client;
using LockService.Client.Hosting;
using LockService.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans.Configuration;

namespace LockService.Cli;

/// <summary>
/// Where the cluster is: the same identity and membership table as the silos (README, "Configuration"), and TLS to
/// the gateways when <paramref name="Tls"/> is set (a cluster with <c>LockService:Tls:Enabled</c>).
/// </summary>
/// <param name="ConnectTimeout">Orleans' client retries its gateways for as long as it is let; a script wants exit code 1 instead of a hang.</param>
internal sealed record Connection(
    string Storage, string ClusterId, string ServiceId, TimeSpan SessionTtl, bool Verbose, TimeSpan ConnectTimeout, LockServiceTlsOptions? Tls = null)
{
    /// <summary>An Orleans client of the cluster with the SDK. Orleans' transient connection warnings stay quiet unless verbose.</summary>
    public async Task<IHost> ConnectAsync(CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        // Logs go to standard error: standard output is lockctl's own lines (or JSON) that scripts read.
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(Verbose ? LogLevel.Debug : LogLevel.Warning);
        if (!Verbose)
        {
            builder.Logging.AddFilter("Orleans", LogLevel.Error);
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None); // a failed start is reported once, by lockctl
        }

        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterId;
                o.ServiceId = ServiceId;
            });
            client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(Storage));
            if (Tls is not null)
            {
                client.UseLockServiceTls(Tls);
            }
        });
        builder.Services.AddLockClient(o => o.SessionTtl = SessionTtl);
        var host = builder.Build();
        using var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        connect.CancelAfter(ConnectTimeout);
        try
        {
            await host.StartAsync(connect.Token);
            return host;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            throw new ClusterUnreachableException(
                $"no gateway of cluster '{ClusterId}' answered within {ConnectTimeout.TotalSeconds:0} s. Is it running (lockctl status)? " +
                (Tls is null ? "A TLS cluster needs --tls-ca and --tls-certificate." : "Are --tls-ca and --tls-certificate the cluster's?"));
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }
}
