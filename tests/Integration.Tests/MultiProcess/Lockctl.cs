using System.Diagnostics;
using System.Reflection;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>lockctl as its own process (its Release build), pointed at a <see cref="SiloProcessCluster"/>.</summary>
internal static class Lockctl
{
    /// <summary>Starts lockctl with the cluster's storage and identity; the caller reads its output and waits for it.</summary>
    public static Process Start(SiloProcessCluster cluster, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Dll());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--storage");
        start.ArgumentList.Add(cluster.StorageConnectionString);
        start.ArgumentList.Add("--cluster-id");
        start.ArgumentList.Add(cluster.Name);
        start.ArgumentList.Add("--service-id");
        start.ArgumentList.Add(cluster.Name);
        start.ArgumentList.Add("--connect-timeout"); // a loaded test machine can take well over the default 30 s
        start.ArgumentList.Add("3m");
        return Process.Start(start) ?? throw new InvalidOperationException("could not start lockctl");
    }

    /// <summary>
    /// Runs one command to its end: exit code, standard output and standard error. A command still running after
    /// <paramref name="limit"/> (default 2 min) is killed and reported with what it printed, instead of holding the
    /// test to its own timeout with nothing to show.
    /// </summary>
    public static async Task<Outcome> RunAsync(SiloProcessCluster cluster, CancellationToken ct, TimeSpan? limit, params string[] arguments)
    {
        using var process = Start(cluster, arguments);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None); // ends when the process does
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(limit ?? TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            if (ct.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"lockctl {string.Join(' ', arguments)} still ran after {limit ?? TimeSpan.FromMinutes(2)}; stdout: {await output}; stderr: {await error}");
        }

        return new Outcome(process.ExitCode, await output, await error);
    }

    /// <summary>Kills a lockctl started with <see cref="Start"/> that a failed test left running.</summary>
    public static void KillIfRunning(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
    }

    /// <summary>A finished lockctl: its exit code and output (printed whole when an assertion on it fails).</summary>
    public sealed record Outcome(int Code, string Out, string Error);

    private static string Dll()
    {
        var configuration = typeof(Lockctl).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Release";
        return Path.Combine(AzuriteScript.RepositoryRoot(), "tools", "lockctl", "bin", configuration, "net10.0", "lockctl.dll");
    }
}
