using System.Diagnostics;
using System.Text;
using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>
/// The SDK as a user gets it: `dotnet pack` produces LockService.Client (with LockService.Contracts and LockService.Core)
/// into a local folder feed; a fresh console project outside the repository restores it from that feed (everything
/// else from nuget.org), builds, and acquires a lock from a running cluster. A version unique to the run keeps a
/// package cached by an earlier run from standing in for this build.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class PackageConsumerTests(AzuriteFixture azurite)
{
    private static readonly string[] Packed = ["Grains/Core/Grains.Core.csproj", "Grains.Interfaces/Grains.Interfaces.csproj", "LockClient/LockClient.csproj"];

    [Fact(Timeout = 900_000)]
    public async Task A_fresh_project_restores_the_packed_client_and_acquires_a_lock()
    {
        var ct = TestContext.Current.CancellationToken;
        var root = AzuriteScript.RepositoryRoot();
        var work = Path.Combine(Path.GetTempPath(), "lockservice-consumer-" + Guid.NewGuid().ToString("N")[..8]);
        var feed = Path.Combine(work, "feed");
        var app = Path.Combine(work, "app");
        System.IO.Directory.CreateDirectory(feed);
        System.IO.Directory.CreateDirectory(app);
        var version = $"0.0.1-test.{DateTime.UtcNow:yyyyMMddHHmmss}";
        try
        {
            foreach (var project in Packed)
            {
                await RunAsync(root, ct, "pack", Path.Combine(root, project), "-c", "Release", "-o", feed, $"-p:Version={version}");
            }

            Assert.True(File.Exists(Path.Combine(feed, $"LockService.Client.{version}.nupkg")), "LockService.Client was not packed");
            WriteConsumer(app, feed, version);

            await using var cluster = await SiloProcessCluster.StartAsync(
                new SiloProcessOptions { StorageConnectionString = azurite.ConnectionString, StartTimeout = TimeSpan.FromSeconds(150) }, ct);
            using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(), cancellationToken: ct);
            await new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>()).WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(90), cancellationToken: ct);

            await RunAsync(app, ct, "build", "-c", "Release");
            var output = await RunAsync(app, ct, "run", "-c", "Release", "--no-build", "--", azurite.ConnectionString, cluster.Name);

            var line = Assert.Single(output.Split('\n'), l => l.StartsWith("acquired package/consumer token ", StringComparison.Ordinal));
            var token = FencingToken.Parse(line["acquired package/consumer token ".Length..].Trim());
            Assert.True(token > FencingToken.None);
        }
        finally
        {
            try
            {
                System.IO.Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temporary folder is harmless.
            }
        }
    }

    private static void WriteConsumer(string app, string feed, string version)
    {
        File.WriteAllText(Path.Combine(app, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(app, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="LockService.Client" Version="{version}" />
                <PackageReference Include="Microsoft.Orleans.Client" Version="10.4.2" />
                <PackageReference Include="Microsoft.Orleans.Clustering.AzureStorage" Version="10.4.2" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.5" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using Azure.Data.Tables;
            using LockService.Client;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Hosting;
            using Microsoft.Extensions.Logging;
            using Orleans.Configuration;

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o => { o.ClusterId = args[1]; o.ServiceId = args[1]; });
                client.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(args[0]));
            });
            builder.Services.AddLockClient();
            using var host = builder.Build();
            await host.StartAsync();
            var locks = host.Services.GetRequiredService<ILockClient>();
            await using (var handle = await locks.AcquireAsync("package/consumer", TimeSpan.FromSeconds(60)))
            {
                Console.WriteLine($"acquired {handle.Name} token {handle.Token}");
            }

            await locks.DisposeAsync();
            await host.StopAsync();
            """);
    }

    /// <summary>Runs `dotnet` with the arguments; its output, or a failure with the output when it exits non-zero.</summary>
    private static async Task<string> RunAsync(string directory, CancellationToken ct, params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The consumer is a user's project: none of the test run's MSBuild or LockService settings leak into it.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("LockService__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start dotnet");
        var output = new StringBuilder();
        var stdout = Task.Run(async () => output.Append(await process.StandardOutput.ReadToEndAsync(ct)), ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        await stdout;
        var errors = await stderr;
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:\n{output}\n{errors}");
        return output.ToString();
    }
}
