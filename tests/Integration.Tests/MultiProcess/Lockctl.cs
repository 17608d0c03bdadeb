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

    /// <summary>How long a test waits on a lockctl (its exit, its next line) before killing it and saying so.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromMinutes(2);

    /// <summary>Runs one command to its end: exit code, standard output and standard error.</summary>
    public static async Task<Outcome> RunAsync(SiloProcessCluster cluster, CancellationToken ct, params string[] arguments)
    {
        using var process = Start(cluster, arguments);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None); // ends when the process does
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await WithinLimitAsync(process, async c => { await process.WaitForExitAsync(c); return 0; }, $"lockctl {string.Join(' ', arguments)} to exit", ct);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; stdout: {await output}; stderr: {await error}", e);
        }

        return new Outcome(process.ExitCode, await output, await error);
    }

    /// <summary>
    /// Waits for something of a running lockctl (its exit, its next line) at most <see cref="WaitLimit"/>; one that takes
    /// longer is killed and reported, instead of holding the test to its own timeout with nothing to show.
    /// </summary>
    public static async Task<T> WithinLimitAsync<T>(Process process, Func<CancellationToken, Task<T>> wait, string what, CancellationToken ct)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(WaitLimit);
        try
        {
            return await wait(deadline.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            KillIfRunning(process);
            throw new TimeoutException($"waited {WaitLimit} for {what}; it was killed");
        }
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
