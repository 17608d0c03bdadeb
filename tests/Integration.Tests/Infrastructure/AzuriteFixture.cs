using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LockService.Integration.Tests.Infrastructure;

/// <summary>
/// One Azurite for the whole test assembly. Uses LOCKSERVICE_TEST_STORAGE when set; otherwise starts the
/// repository's pinned Azurite in memory on free loopback ports, so it never collides with an Azurite the
/// user already runs, and stops it (by its own PID) when the assembly is done.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private string? _pid;

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("LOCKSERVICE_TEST_STORAGE");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            ConnectionString = fromEnvironment;
            return;
        }

        int blob = FreePort(), queue = FreePort(), table = FreePort();
        var output = await RunScriptAsync("start", "memory", blob.ToString(), queue.ToString(), table.ToString());
        _pid = output.Trim();
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
            $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
    }

    public async ValueTask DisposeAsync()
    {
        if (_pid is not null)
        {
            await RunScriptAsync("stop", _pid);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> RunScriptAsync(params string[] arguments)
    {
        var script = Path.Combine(RepositoryRoot(), "tools", "azurite", "azurite.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"azurite.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LockService.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LockService.sln not found above " + AppContext.BaseDirectory);
    }
}
