// A LockService client in a few lines: connect, acquire, print the fencing token, hold, release.
// Start the service first (bash tools/run.sh), then run two of these side by side:
//   dotnet run --project samples/LockSample -- [lock-name] [hold-seconds] [--static-gateways]
// The second instance waits its turn in the lock's FIFO queue and prints when it gets the lock.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Azure.Data.Tables;
using LockService.Client;
using LockService.Client.Hosting;
using LockService.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

var positional = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
var lockName = positional.ElementAtOrDefault(0) ?? "sample/report-job";
var hold = TimeSpan.FromSeconds(positional.Length > 1 ? double.Parse(positional[1], CultureInfo.InvariantCulture) : 10);
var staticGateways = args.Contains("--static-gateways");
var storage = Environment.GetEnvironmentVariable("LOCKSERVICE_STORAGE") ?? "UseDevelopmentStorage=true";
var me = $"sample {Environment.ProcessId}";

var builder = Host.CreateApplicationBuilder();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
// A failover resets connections to the dead silo: Orleans logs each reset as a warning with a stack trace, while the
// SDK retries on another replica by itself (and logs that at Debug). Keep Orleans' own messages to errors here.
builder.Logging.AddFilter("Orleans", LogLevel.Error);
builder.UseOrleansClient(client =>
{
    // The identity of the cluster that tools/run.sh starts.
    client.Configure<ClusterOptions>(o =>
    {
        o.ClusterId = "lockservice-dev";
        o.ServiceId = "lockservice";
    });
    if (staticGateways)
    {
        // The gateways of tools/run.sh's three silos; the client moves to another when one dies.
        client.UseStaticClustering([.. Enumerable.Range(30000, 3).Select(port => new IPEndPoint(IPAddress.Loopback, port))]);
    }
    else
    {
        // The silos' own membership table on Azurite: finds every live gateway, however many silos run.
        client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storage));
    }

    // A TLS cluster (TLS=1 bash tools/run.sh): LockClient__Tls__Enabled=true, LockClient__Tls__TrustedCertificatePath
    // and LockClient__Tls__CertificatePath, as tools/run.sh prints them (docs/SECURITY.md).
    if (builder.Configuration.GetSection("LockClient:Tls").Get<LockServiceTlsOptions>() is { Enabled: true } tls)
    {
        client.UseLockServiceTls(tls);
    }
});
builder.Services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(10));

using var host = builder.Build();
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

await host.StartAsync(stop.Token);
var locks = host.Services.GetRequiredService<ILockClient>();
try
{
    var waited = Stopwatch.StartNew();
    var handle = await locks.TryAcquireAsync(lockName, cancellationToken: stop.Token);
    if (handle is null)
    {
        var info = await locks.DescribeAsync(lockName, stop.Token);
        var holder = info?.Holders.FirstOrDefault();
        Console.WriteLine($"[{me}] '{lockName}' is held (token {holder?.Token}); waiting my turn behind {info?.Waiters.Count ?? 0} other waiter(s)...");
        handle = await locks.AcquireAsync(lockName, cancellationToken: stop.Token);
    }

    await using (handle)
    {
        Console.WriteLine($"[{me}] got '{lockName}' after {waited.Elapsed.TotalSeconds:0.0} s: fencing token {handle.Token}. Holding it for {hold.TotalSeconds:0.#} s (Ctrl+C releases early).");
        try
        {
            using var holdOrStop = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, handle.LostToken);
            await Task.Delay(hold, holdOrStop.Token);
        }
        catch (OperationCanceledException) when (handle.LostToken.IsCancellationRequested)
        {
            Console.WriteLine($"[{me}] lost '{lockName}' (token {handle.Token}): its lease could not be renewed in time.");
        }
        catch (OperationCanceledException)
        {
        }

        Console.WriteLine($"[{me}] releasing '{lockName}'.");
    }

    Console.WriteLine($"[{me}] released.");
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.WriteLine($"[{me}] cancelled; the wait was withdrawn.");
}
catch (LockServiceException e)
{
    Console.Error.WriteLine($"[{me}] {e.GetType().Name}: {e.Message}");
    Environment.ExitCode = 1;
}
finally
{
    await locks.DisposeAsync();
    await host.StopAsync(CancellationToken.None);
}
