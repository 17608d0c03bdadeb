using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace LockService.Testing;

/// <summary>
/// Starts and stops the repository's pinned Azurite through <c>tools/azurite/azurite.sh</c> (which installs it with
/// npm when needed), on free loopback ports. Shared by the integration tests, bench/LoadBench and bench/Chaos (linked source).
/// </summary>
public static class AzuriteScript
{
    /// <summary>Azurite's well-known development account key (public, not a secret).</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    /// <summary>Starts an Azurite with its data in <paramref name="dataDirectory"/> ("memory" keeps it in memory).</summary>
    /// <returns>The PID (for <see cref="StopAsync"/>) and the connection string.</returns>
    public static async Task<(string Pid, string ConnectionString)> StartAsync(string dataDirectory = "memory", CancellationToken cancellationToken = default)
    {
        var ports = FreePorts(3);
        return await StartAsync(dataDirectory, ports[0], ports[1], ports[2], cancellationToken);
    }

    /// <summary>Starts an Azurite on the given ports (for example to restart one where it ran before).</summary>
    /// <returns>The PID (for <see cref="StopAsync"/>) and the connection string.</returns>
    public static async Task<(string Pid, string ConnectionString)> StartAsync(
        string dataDirectory, int blob, int queue, int table, CancellationToken cancellationToken = default)
    {
        // Not cancelled half-way: the script must hand back the PID of what it started, so it can be stopped.
        var output = await RunAsync(CancellationToken.None, "start", dataDirectory, blob.ToString(), queue.ToString(), table.ToString());
        var pid = output.Trim();
        if (cancellationToken.IsCancellationRequested)
        {
            await StopAsync(pid);
            cancellationToken.ThrowIfCancellationRequested();
        }

        return (pid, ConnectionString(blob, queue, table));
    }

    /// <summary>Stops the Azurite started with that PID, and only it.</summary>
    public static Task StopAsync(string pid) => RunAsync(CancellationToken.None, "stop", pid);

    public static string ConnectionString(int blob, int queue, int table) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";

    /// <summary>
    /// <paramref name="count"/> distinct TCP ports free on 127.0.0.1 right now. Every listener is held until all are
    /// chosen: ports asked for one at a time can come back twice (Azurite then fails to start on a port it was given
    /// for two services).
    /// </summary>
    public static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listeners.Add(listener);
                listener.Start();
            }

            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    /// <summary>The repository root: the first folder above <paramref name="start"/> (default: this assembly's) holding LockService.sln.</summary>
    public static string RepositoryRoot(string? start = null)
    {
        for (var dir = new DirectoryInfo(start ?? AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LockService.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("LockService.sln not found above " + (start ?? AppContext.BaseDirectory));
    }

    private static async Task<string> RunAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var script = Path.Combine(RepositoryRoot(), "tools", "azurite", "azurite.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"azurite.sh {string.Join(' ', arguments)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }
}
