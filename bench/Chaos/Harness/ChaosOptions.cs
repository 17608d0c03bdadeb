using System.Globalization;

namespace LockService.Chaos.Harness;

/// <summary>What a chaos run starts and how hard it shakes it. See bench/Chaos/README.md.</summary>
public sealed record ChaosOptions
{
    /// <summary>The faults the nemesis cycles through, in this order (the leader's SIGKILL most often).</summary>
    public static readonly string[] DefaultFaults =
    [
        FaultKinds.KillLeader, FaultKinds.PauseLeaderShort, FaultKinds.AzuriteRestart, FaultKinds.ClientPause, FaultKinds.KillLeader,
        FaultKinds.PauseLeaderLong, FaultKinds.KillSilo, FaultKinds.PartitionLeader, FaultKinds.PauseLeaderMedium, FaultKinds.KillLeader,
    ];

    /// <summary>
    /// With 5 replicas the cycle's second kill-leader kills two silos at once instead: a 5-replica group is chosen to
    /// survive two failures, so that is the fault it must be shaken with.
    /// </summary>
    public static readonly string[] DefaultFaultsFiveReplicas = [.. DefaultFaults[..4], FaultKinds.KillTwo, .. DefaultFaults[5..]];

    public int Silos { get; init; } = 3;

    /// <summary>Replicas per group (LockService:ReplicasPerGroup): 3 or 5, at most <see cref="Silos"/>.</summary>
    public int Replicas { get; init; } = 3;

    public int Clients { get; init; } = 8;

    public string[] Locks { get; init; } = ["chaos/a", "chaos/b"];

    /// <summary>The whole run, start-up excluded: faults, then <see cref="Quiet"/> without any.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The fault-free end of the run, in which every client must acquire again.</summary>
    public TimeSpan Quiet { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Time from one fault's start to the next: uniform in [min, max], and never before the last healed.</summary>
    public TimeSpan IntervalMin { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan IntervalMax { get; init; } = TimeSpan.FromSeconds(20);

    public string[] Faults { get; init; } = DefaultFaults;

    public int Seed { get; init; } = 1;

    /// <summary>The clients' session TTL; pauses are chosen around it and around membership's death declaration.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromSeconds(6);

    public TimeSpan PauseShort { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan PauseMedium { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan PauseLong { get; init; } = TimeSpan.FromSeconds(8);

    public TimeSpan AzuriteDown { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan PartitionFor { get; init; } = TimeSpan.FromSeconds(5);

    public string OutDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "lockservice-chaos", DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));

    /// <summary>More LockService settings for every silo (environment names without the LockService__ prefix).</summary>
    public IReadOnlyDictionary<string, string> SiloSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Each line of progress (default: stderr with the time).</summary>
    public Action<string> Log { get; init; } = line => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss.fff}] {line}");

    public static ChaosOptions Parse(string[] args)
    {
        var a = ParseArguments(args);
        var options = new ChaosOptions();
        TimeSpan S(string key, TimeSpan fallback) => a.TryGetValue(key, out var v) ? TimeSpan.FromSeconds(double.Parse(v, CultureInfo.InvariantCulture)) : fallback;
        var duration = a.TryGetValue("minutes", out var minutes)
            ? TimeSpan.FromMinutes(double.Parse(minutes, CultureInfo.InvariantCulture))
            : S("seconds", options.Duration);
        var interval = a.TryGetValue("interval-s", out var i) ? i.Split('-') : null;
        var siloCount = a.TryGetValue("silos", out var silos) ? int.Parse(silos, CultureInfo.InvariantCulture) : options.Silos;
        var replicaCount = a.TryGetValue("replicas", out var replicas) ? int.Parse(replicas, CultureInfo.InvariantCulture) : options.Replicas;
        if (replicaCount is not (3 or 5) || replicaCount > siloCount)
        {
            throw new ArgumentException($"--replicas must be 3 or 5 and at most --silos ({siloCount}); got {replicaCount}");
        }

        return options with
        {
            Silos = siloCount,
            Replicas = replicaCount,
            Clients = a.TryGetValue("clients", out var clients) ? int.Parse(clients, CultureInfo.InvariantCulture) : options.Clients,
            Duration = duration,
            Quiet = S("quiet-s", options.Quiet),
            IntervalMin = interval is null ? options.IntervalMin : TimeSpan.FromSeconds(double.Parse(interval[0], CultureInfo.InvariantCulture)),
            IntervalMax = interval is null ? options.IntervalMax : TimeSpan.FromSeconds(double.Parse(interval[^1], CultureInfo.InvariantCulture)),
            Faults = a.TryGetValue("faults", out var faults) ? faults.Split(',') : replicaCount == 5 ? DefaultFaultsFiveReplicas : options.Faults,
            Seed = a.TryGetValue("seed", out var seed) ? int.Parse(seed, CultureInfo.InvariantCulture) : options.Seed,
            SessionTtl = S("ttl-s", options.SessionTtl),
            OutDirectory = a.TryGetValue("out", out var output) ? Path.GetFullPath(output) : options.OutDirectory,
            SiloSettings = a.TryGetValue("silo-settings", out var settings)
                ? settings.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).ToDictionary(kv => kv[0].Trim(), kv => kv.Length > 1 ? kv[1].Trim() : "")
                : options.SiloSettings,
        };
    }

    /// <summary>"--key value" pairs.</summary>
    public static Dictionary<string, string> ParseArguments(IEnumerable<string> args)
    {
        var a = new Dictionary<string, string>();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var key = e.Current;
            if (!key.StartsWith("--", StringComparison.Ordinal) || !e.MoveNext())
            {
                throw new ArgumentException($"expected --key value, got '{key}'");
            }

            a[key[2..]] = e.Current;
        }

        return a;
    }
}
