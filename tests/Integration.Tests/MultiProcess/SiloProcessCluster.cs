using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;

namespace LockService.Testing;

/// <summary>What <see cref="SiloProcessCluster.StartAsync"/> starts.</summary>
public sealed class SiloProcessOptions
{
    /// <summary>Azure Storage (Azurite) for clustering, grain state, replica logs and snapshots.</summary>
    public required string StorageConnectionString { get; init; }

    /// <summary>Orleans cluster and service id; also names the replica log table and snapshot container, so
    /// clusters sharing one Azurite never see each other's state. Default: a fresh unique name.</summary>
    public string Name { get; init; } = "mp" + Guid.NewGuid().ToString("N")[..12];

    public int Silos { get; init; } = 3;

    public int GroupCount { get; init; } = 1;

    /// <summary>LockService.Silo.dll; default: Silo/bin/{configuration of this assembly}/net10.0 in the repository.</summary>
    public string? SiloDll { get; init; }

    /// <summary>Where each silo's stdout and stderr go (silo-{index}.log). Default: a fresh temporary folder.</summary>
    public string? LogDirectory { get; init; }

    /// <summary>More environment for every silo, e.g. <c>LockService__TickInterval</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>More environment for one silo (by index), after <see cref="Environment"/>; e.g. an admin key on some silos only.</summary>
    public Func<int, IReadOnlyDictionary<string, string>>? SiloEnvironment { get; init; }

    /// <summary>How long one silo may take to answer /healthz.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>One silo process: its loopback ports and, while it runs, its PID.</summary>
public sealed class SiloProcess
{
    internal SiloProcess(int index, int siloPort, int gatewayPort, int httpPort, string logPath)
    {
        Index = index;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        HttpPort = httpPort;
        LogPath = logPath;
    }

    public int Index { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    public int HttpPort { get; }

    public string LogPath { get; }

    /// <summary>PID of the silo (the dotnet process itself), or 0 before it started.</summary>
    public int Pid { get; internal set; }

    /// <summary>The watchdog shell that started the silo; it exits when the silo does.</summary>
    internal Process? Watchdog { get; set; }

    public bool IsRunning => Watchdog is { HasExited: false };

    public override string ToString() => $"silo {Index} (pid {Pid}, silo port {SiloPort}, gateway {GatewayPort}, http {HttpPort})";
}

/// <summary>
/// Silo processes (<c>dotnet LockService.Silo.dll</c>) on loopback, clustered through Azure Table storage, configured
/// through <c>LockService__*</c> environment variables. Each silo runs under a small shell watchdog that SIGKILLs it
/// when this process goes away, however it goes (a crash, a SIGKILL, a test run cancelled), so no silo outlives
/// its owner; <see cref="DisposeAsync"/> and process exit kill them at once. Shared by the multi-process integration
/// tests, bench/LoadBench and bench/Chaos (linked source).
/// </summary>
public sealed partial class SiloProcessCluster : IAsyncDisposable
{
    // Runs the silo in the background, prints its PID, and SIGKILLs it as soon as the owner ($1) is gone.
    private const string WatchdogScript = """
        owner=$1; log=$2; shift 2
        "$@" >>"$log" 2>&1 </dev/null &
        child=$!
        echo "$child"
        exec 2>/dev/null
        trap 'kill -9 $child 2>/dev/null; exit 0' TERM INT HUP
        while kill -0 "$owner" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -9 "$child" 2>/dev/null
        wait "$child" 2>/dev/null
        exit 0
        """;

    private static readonly ConcurrentDictionary<SiloProcessCluster, bool> Live = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(2) };

    private readonly SiloProcessOptions _options;
    private readonly string _siloDll;
    private int _disposed;

    static SiloProcessCluster()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var cluster in Live.Keys)
            {
                cluster.KillAll();
            }
        };
    }

    private SiloProcessCluster(SiloProcessOptions options, string siloDll, string logDirectory)
    {
        _options = options;
        _siloDll = siloDll;
        LogDirectory = logDirectory;
        var ports = AzuriteScript.FreePorts(3 * options.Silos);
        Silos = [.. Enumerable.Range(0, options.Silos).Select(i =>
            new SiloProcess(i, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2], Path.Combine(logDirectory, $"silo-{i}.log")))];
    }

    public IReadOnlyList<SiloProcess> Silos { get; }

    public string Name => _options.Name;

    public string StorageConnectionString => _options.StorageConnectionString;

    public string LogDirectory { get; }

    /// <summary>Starts every silo at once and waits until each answers /healthz.</summary>
    public static async Task<SiloProcessCluster> StartAsync(SiloProcessOptions options, CancellationToken cancellationToken = default)
    {
        var siloDll = options.SiloDll ?? DefaultSiloDll();
        if (!File.Exists(siloDll))
        {
            throw new FileNotFoundException($"The silo is not built: {siloDll}. Build Silo/Silo.csproj first.", siloDll);
        }

        var logDirectory = options.LogDirectory ?? Path.Combine(Path.GetTempPath(), "lockservice-silos", options.Name);
        System.IO.Directory.CreateDirectory(logDirectory);
        var cluster = new SiloProcessCluster(options, siloDll, logDirectory);
        Live[cluster] = true;
        try
        {
            foreach (var silo in cluster.Silos)
            {
                cluster.Launch(silo);
            }

            await Task.WhenAll(cluster.Silos.Select(s => cluster.WaitHealthyAsync(s, cancellationToken)));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The silo's dll built next to this assembly's configuration (Debug or Release).</summary>
    public static string DefaultSiloDll()
    {
        var configuration = typeof(SiloProcessCluster).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        if (string.IsNullOrEmpty(configuration))
        {
            configuration = "Release";
        }

        return Path.Combine(AzuriteScript.RepositoryRoot(), "Silo", "bin", configuration, "net10.0", "LockService.Silo.dll");
    }

    /// <summary>(Re)starts a silo that is not running, on its own ports, and waits until it answers /healthz.</summary>
    public async Task StartSiloAsync(SiloProcess silo, CancellationToken cancellationToken = default)
    {
        if (silo.IsRunning)
        {
            throw new InvalidOperationException($"{silo} is still running.");
        }

        Launch(silo);
        await WaitHealthyAsync(silo, cancellationToken);
    }

    /// <summary>SIGKILLs a silo: no shutdown, no goodbye to the cluster. Returns the <see cref="Stopwatch"/> timestamp taken just before the signal.</summary>
    public long Kill(SiloProcess silo)
    {
        var pid = silo.Pid;
        var before = Stopwatch.GetTimestamp();
        if (pid > 0 && silo.IsRunning)
        {
            _ = ProcessSignals.Send(pid, ProcessSignals.SIGKILL);
        }

        silo.Watchdog?.WaitForExit(10_000);
        return before;
    }

    /// <summary>SIGSTOPs a running silo: it keeps its sockets but answers nothing until <see cref="Resume"/>.</summary>
    /// <returns>The <see cref="Stopwatch"/> timestamp taken just before the signal.</returns>
    public static long Pause(SiloProcess silo)
    {
        var before = Stopwatch.GetTimestamp();
        _ = ProcessSignals.Send(silo.Pid, ProcessSignals.SIGSTOP);
        return before;
    }

    /// <summary>SIGCONTs a silo stopped by <see cref="Pause"/>.</summary>
    /// <returns>The <see cref="Stopwatch"/> timestamp taken just before the signal.</returns>
    public static long Resume(SiloProcess silo)
    {
        var before = Stopwatch.GetTimestamp();
        _ = ProcessSignals.Send(silo.Pid, ProcessSignals.SIGCONT);
        return before;
    }

    /// <summary>SIGTERMs a silo (a graceful shutdown through the generic host) and waits until it exits.</summary>
    /// <returns>The <see cref="Stopwatch"/> timestamp taken just before the signal.</returns>
    public async Task<long> TerminateAsync(SiloProcess silo, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var before = Stopwatch.GetTimestamp();
        if (silo.Pid > 0 && silo.IsRunning)
        {
            _ = ProcessSignals.Send(silo.Pid, ProcessSignals.SIGTERM);
        }

        if (silo.Watchdog is { } watchdog)
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(timeout);
            try
            {
                await watchdog.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Kill(silo);
                throw new TimeoutException($"{silo} did not stop within {timeout} of SIGTERM; killed it.");
            }
        }

        return before;
    }

    /// <summary>The silo whose silo port appears in an Orleans silo address ("127.0.0.1:11111@123456789").</summary>
    public SiloProcess? FindBySiloAddress(string siloAddress)
    {
        var match = SiloPortPattern().Match(siloAddress);
        return match.Success && int.TryParse(match.Groups[1].Value, out var port)
            ? Silos.FirstOrDefault(s => s.SiloPort == port)
            : null;
    }

    /// <summary>The last lines of a silo's log, for failure messages.</summary>
    public static string Tail(SiloProcess silo, int lines = 40)
    {
        try
        {
            using var stream = new FileStream(silo.LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            KillAll();
            Live.TryRemove(this, out _);
        }

        return ValueTask.CompletedTask;
    }

    private void KillAll()
    {
        foreach (var silo in Silos)
        {
            try
            {
                Kill(silo);
                silo.Watchdog?.Dispose();
                silo.Watchdog = null;
            }
            catch (Exception)
            {
                // best effort: the watchdog kills the silo within a second of this process's exit anyway
            }
        }
    }

    private void Launch(SiloProcess silo)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_siloDll)!,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(WatchdogScript);
        start.ArgumentList.Add("silo-watchdog");
        start.ArgumentList.Add(Environment.ProcessId.ToString());
        start.ArgumentList.Add(silo.LogPath);
        start.ArgumentList.Add(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet");
        start.ArgumentList.Add(_siloDll);

        // Only this cluster's settings: none inherited from the caller's shell.
        foreach (var inherited in start.Environment.Keys.Where(k => k.StartsWith("LockService__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(inherited);
        }

        var settings = new Dictionary<string, string>
        {
            ["LockService__Clustering"] = "AzureTable",
            ["LockService__StorageConnectionString"] = _options.StorageConnectionString,
            ["LockService__ClusterId"] = _options.Name,
            ["LockService__ServiceId"] = _options.Name,
            ["LockService__TableName"] = _options.Name + "log",
            ["LockService__SnapshotContainer"] = _options.Name + "-snapshots",
            ["LockService__GroupCount"] = _options.GroupCount.ToString(),
            ["LockService__SiloPort"] = silo.SiloPort.ToString(),
            ["LockService__GatewayPort"] = silo.GatewayPort.ToString(),
            ["LockService__HttpPort"] = silo.HttpPort.ToString(),
            ["Logging__Console__TimestampFormat"] = "HH:mm:ss.fff ",
        };
        foreach (var (key, value) in _options.Environment)
        {
            settings[key] = value;
        }

        foreach (var (key, value) in _options.SiloEnvironment?.Invoke(silo.Index) ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key] = value;
        }

        var watchdog = Process.Start(start) ?? throw new InvalidOperationException("could not start bash");
        var pidLine = watchdog.StandardOutput.ReadLine();
        if (!int.TryParse(pidLine, out var pid))
        {
            watchdog.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"The silo watchdog did not report a PID (got '{pidLine}').");
        }

        silo.Watchdog?.Dispose();
        silo.Watchdog = watchdog;
        silo.Pid = pid;
        File.AppendAllText(silo.LogPath, $"==== started {silo} at {DateTime.Now:HH:mm:ss.fff}\n");
    }

    private async Task WaitHealthyAsync(SiloProcess silo, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(_options.StartTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!silo.IsRunning)
            {
                throw new InvalidOperationException($"{silo} exited during start-up:\n{Tail(silo)}");
            }

            try
            {
                using var response = await Http.GetAsync($"http://127.0.0.1:{silo.HttpPort}/healthz", cancellationToken);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{silo} did not answer /healthz within {_options.StartTimeout}:\n{Tail(silo)}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    [GeneratedRegex(@"^S?[0-9.]+:(\d+)")]
    private static partial Regex SiloPortPattern();
}
