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

    /// <summary>Runs one command to its end: exit code, standard output and standard error.</summary>
    public static async Task<Outcome> RunAsync(SiloProcessCluster cluster, CancellationToken ct, params string[] arguments)
    {
        using var process = Start(cluster, arguments);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return new Outcome(process.ExitCode, await output, await error);
    }

    /// <summary>A finished lockctl: its exit code and output (printed whole when an assertion on it fails).</summary>
    public sealed record Outcome(int Code, string Out, string Error);

    private static string Dll()
    {
        var configuration = typeof(Lockctl).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration is { Length: > 0 } c ? c : "Release";
        return Path.Combine(AzuriteScript.RepositoryRoot(), "tools", "lockctl", "bin", configuration, "net10.0", "lockctl.dll");
    }
}
