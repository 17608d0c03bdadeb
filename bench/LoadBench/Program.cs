// LockService load benchmark: the peers' lock workload (/work/shared/peers, etcd-lock-bench) against a cluster of
// silo processes, plus a leader-SIGKILL failover scenario. See bench/README.md.
//
//   dotnet run -c Release --project bench/LoadBench                    # Azurite + 3 silos of its own, everything
//   CLIENTS=64 SCENARIOS=uncontended DURATION=10 dotnet run -c Release --project bench/LoadBench
//   dotnet run -c Release --project bench/LoadBench -- --attach        # the cluster tools/run.sh runs (no failover)
//
// Workload (same as the peers'): C clients, each with one session of its own (SessionTtl 10 s, kept alive in the
// background by the SDK: one ILockClient per client over one shared Orleans cluster client), loop
// Acquire(name) -> Release for a warm-up and then a measured window; "uncontended": each client its own name,
// "contended": all clients one name. Pair = acquire + release; throughput = pairs completed in the window / window;
// latency per pair, p50/p99. Checkers: no two holders at once (acquire/release timestamps on one monotonic clock),
// the in-process holder count, and fencing tokens strictly increasing in acquisition order (per name).
// Failover: one client loops Acquire/Release with a per-call deadline (1 s); the silo process hosting the group's
// leader is SIGKILLed; gap = kill -> first successful acquire sent at/after the kill; the silo is restarted and the
// group spread out again before the next round; median over the rounds.
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LockService.Client;
using LockService.Hosting;
using LockService.LoadBench;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var options = BenchOptions.Parse(args);
if (options is null)
{
    return 2;
}

if (options.StorageFloorIterations > 0)
{
    return await StorageFloor.RunAsync(options.Azurite, options.OutDirectory, options.StorageFloorIterations, CancellationToken.None);
}

return await new Runner(options).RunAsync();

namespace LockService.LoadBench
{
    /// <summary>Knobs: command-line options, else environment variables named like the peers' scripts, else defaults.</summary>
    internal sealed record BenchOptions(
        int[] Clients, string[] Scenarios, double WarmupS, double DurationS, int Repeats, double PrewarmS, double CallTimeoutS,
        int FailoverRounds, double FailoverS, double FailoverCallTimeoutS, int Silos, int Groups, string Azurite, string OutDirectory,
        bool Attach, string AttachStorage, string AttachClusterId, string AttachServiceId, string? CompareEtcd, string Label,
        int? ClientCallTimeoutMs, int? ClientWaitPollMs, Dictionary<string, string> SiloSettings, int StorageFloorIterations, bool StoragePerReplica)
    {
        public static BenchOptions? Parse(string[] args)
        {
            var a = new Dictionary<string, string>();
            for (var i = 0; i < args.Length; i++)
            {
                if (args[i] is "-h" or "--help")
                {
                    Console.WriteLine("""
                        usage: LoadBench [--key value]...   (or the environment variable in brackets)
                          --clients 1,8,64 [CLIENTS]            --scenarios contended,uncontended [SCENARIOS] ("none" skips)
                          --warmup-s 2 [WARMUP]                 --duration-s 10 [DURATION]      --repeats 2 [REPEATS]
                          --prewarm-s 2 [PREWARM]               --call-timeout-s 10 [CALL_TIMEOUT] (bench per-call deadline)
                          --failover-rounds 5 [FAILOVER_ROUNDS] --failover-s 8 [FAILOVER_S]   --failover-call-timeout-s 1 [FAILOVER_CALL_TIMEOUT]
                          --silos 3 [SILOS]                     --groups 1 [GROUPS]             --azurite disk|memory [AZURITE]
                          --out DIR [OUT] (default .data/bench/<stamp>)                          --label NAME [LABEL]
                          --client-call-timeout-ms N [CLIENT_CALL_TIMEOUT_MS]  --client-wait-poll-ms N [CLIENT_WAIT_POLL_MS]
                                   (LockClientOptions.CallTimeout / WaitPollInterval of every bench client; default: the SDK's)
                          --silo-settings Key=Value,... [SILO_SETTINGS]  more LockService settings for the silos it starts
                                   (e.g. SnapshotEveryEntries=100000,TickInterval=00:00:00.050)
                          --compare-etcd PATH/bench.jsonl [COMPARE_ETCD]  (adds the peers' etcd figures and ratios to the summary)
                          --storage-floor N [STORAGE_FLOOR]  only measure N Azure Table transactions per cell on an Azurite
                                   of its own (1, 8, 64, 100 rows; 1 and 3 writers at once), then exit
                          --storage-per-replica 1 [STORAGE_PER_REPLICA]  one more Azurite per replica index (3), each replica's log
                                   in its own (LockService:ReplicaStorageConnectionStrings); membership stays in the first
                          --attach [ATTACH=1]  use a running cluster instead (tools/run.sh's: --storage UseDevelopmentStorage=true
                                   --cluster-id lockservice-dev --service-id lockservice); no failover rounds then
                        """);
                    return null;
                }

                if (args[i] == "--attach")
                {
                    a["attach"] = "1";
                    continue;
                }

                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    Console.Error.WriteLine($"unexpected argument {args[i]} (see --help)");
                    return null;
                }

                a[args[i][2..]] = args[++i];
            }

            string Get(string key, string env, string fallback) =>
                a.TryGetValue(key, out var v) ? v : Environment.GetEnvironmentVariable(env) is { Length: > 0 } e ? e : fallback;
            double D(string key, string env, string fallback) => double.Parse(Get(key, env, fallback), CultureInfo.InvariantCulture);
            int I(string key, string env, string fallback) => int.Parse(Get(key, env, fallback), CultureInfo.InvariantCulture);

            var root = AzuriteScript.RepositoryRoot();
            var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            var attach = Get("attach", "ATTACH", "0") is "1" or "true";
            var scenarios = Get("scenarios", "SCENARIOS", "contended,uncontended");
            return new BenchOptions(
                Clients: [.. Get("clients", "CLIENTS", "1,8,64").Split(',').Select(int.Parse)],
                Scenarios: scenarios == "none" ? [] : scenarios.Split(','),
                WarmupS: D("warmup-s", "WARMUP", "2"),
                DurationS: D("duration-s", "DURATION", "10"),
                Repeats: I("repeats", "REPEATS", "2"),
                PrewarmS: D("prewarm-s", "PREWARM", "2"),
                CallTimeoutS: D("call-timeout-s", "CALL_TIMEOUT", "10"),
                FailoverRounds: attach ? 0 : I("failover-rounds", "FAILOVER_ROUNDS", "5"),
                FailoverS: D("failover-s", "FAILOVER_S", "8"),
                FailoverCallTimeoutS: D("failover-call-timeout-s", "FAILOVER_CALL_TIMEOUT", "1"),
                Silos: I("silos", "SILOS", "3"),
                Groups: I("groups", "GROUPS", "1"),
                Azurite: Get("azurite", "AZURITE", "disk"),
                OutDirectory: Path.GetFullPath(Get("out", "OUT", Path.Combine(root, ".data", "bench", stamp))),
                Attach: attach,
                AttachStorage: Get("storage", "LOCKSERVICE_STORAGE", "UseDevelopmentStorage=true"),
                AttachClusterId: Get("cluster-id", "CLUSTER_ID", "lockservice-dev"),
                AttachServiceId: Get("service-id", "SERVICE_ID", "lockservice"),
                CompareEtcd: Get("compare-etcd", "COMPARE_ETCD", "") is { Length: > 0 } c ? c : null,
                Label: Get("label", "LABEL", attach ? "lockservice-attached" : $"lockservice-{I("silos", "SILOS", "3")}silo"),
                ClientCallTimeoutMs: Get("client-call-timeout-ms", "CLIENT_CALL_TIMEOUT_MS", "") is { Length: > 0 } ct ? int.Parse(ct, CultureInfo.InvariantCulture) : null,
                ClientWaitPollMs: Get("client-wait-poll-ms", "CLIENT_WAIT_POLL_MS", "") is { Length: > 0 } wp ? int.Parse(wp, CultureInfo.InvariantCulture) : null,
                SiloSettings: Get("silo-settings", "SILO_SETTINGS", "").Split(',', StringSplitOptions.RemoveEmptyEntries)
                    .Select(kv => kv.Split('=', 2))
                    .ToDictionary(kv => "LockService__" + kv[0].Trim().Replace(":", "__", StringComparison.Ordinal), kv => kv.Length > 1 ? kv[1].Trim() : ""),
                StorageFloorIterations: I("storage-floor", "STORAGE_FLOOR", "0"),
                StoragePerReplica: Get("storage-per-replica", "STORAGE_PER_REPLICA", "0") is "1" or "true");
        }
    }

    /// <summary>One measured cell; the same fields as the peers' results, so their JSON lines can sit side by side.</summary>
    internal sealed record CellResult(
        string Label, string Backend, string Scenario, int Clients, int Run,
        double WarmupS, double DurationS, long Ops, double Throughput,
        double P50Ms, double P99Ms, double MaxMs, long Errors,
        long Acquisitions, long OverlapViolations, long HolderViolations, long TokenViolations, bool TokensChecked,
        long BackgroundFailures);

    internal sealed record FailoverResult(
        string Label, int Round, string KilledSilo, string Leader, long LeaderTerm, long NewLeaderTerm, int Acquires, int Errors, int ErrorsAfterKill,
        double? GapNextMs, double? MaxStallMs, double? LastAcquireBeforeKillMs, double? LeaderElectedMs, string[] ErrorKinds);

    internal readonly record struct Hold(long AcquiredTs, long ReleasingTs, FencingToken Token);

    internal sealed class Runner(BenchOptions options)
    {
        private static readonly double Freq = Stopwatch.Frequency;
        private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

        private readonly List<CellResult> _cells = [];
        private readonly List<FailoverResult> _failovers = [];
        private readonly List<string> _replicaAzurites = [];
        private SiloProcessCluster? _cluster;
        private IClusterClient _grains = null!;

        public async Task<int> RunAsync()
        {
            System.IO.Directory.CreateDirectory(options.OutDirectory);
            Log($"results -> {options.OutDirectory}");
            await File.WriteAllTextAsync(Path.Combine(options.OutDirectory, "env.txt"), Environment());
            string? azuritePid = null;
            IHost? client = null;
            using var stop = new CancellationTokenSource();
            Console.CancelKeyPress += (_, e) =>
            {
                e.Cancel = true;
                stop.Cancel();
            };
            try
            {
                string storage, clusterId, serviceId;
                if (options.Attach)
                {
                    (storage, clusterId, serviceId) = (options.AttachStorage, options.AttachClusterId, options.AttachServiceId);
                    Log($"attaching to cluster {clusterId}/{serviceId}");
                }
                else
                {
                    var data = options.Azurite == "memory" ? "memory" : Path.Combine(options.OutDirectory, "azurite");
                    (azuritePid, storage) = await AzuriteScript.StartAsync(data, stop.Token);
                    Log($"Azurite ({options.Azurite}) pid {azuritePid}");
                    var siloEnvironment = new Dictionary<string, string>(options.SiloSettings);
                    if (options.StoragePerReplica)
                    {
                        for (var replica = 0; replica < 3; replica++)
                        {
                            var (pid, connection) = await AzuriteScript.StartAsync(options.Azurite == "memory" ? "memory" : data + "-replica" + replica, stop.Token);
                            _replicaAzurites.Add(pid);
                            siloEnvironment[$"LockService__ReplicaStorageConnectionStrings__{replica}"] = connection;
                            Log($"Azurite for replica index {replica} pid {pid}");
                        }
                    }

                    _cluster = await SiloProcessCluster.StartAsync(
                        new SiloProcessOptions
                        {
                            StorageConnectionString = storage,
                            Name = "bench" + Guid.NewGuid().ToString("N")[..10],
                            Silos = options.Silos,
                            GroupCount = options.Groups,
                            LogDirectory = Path.Combine(options.OutDirectory, "logs"),
                            Environment = siloEnvironment,
                        },
                        stop.Token);
                    (clusterId, serviceId) = (_cluster.Name, _cluster.Name);
                    Log($"{options.Silos} silos up: {string.Join("; ", _cluster.Silos)}");
                }

                client = await ClusterClientHost.StartAsync(storage, clusterId, serviceId, logLevel: LogLevel.Warning, cancellationToken: stop.Token);
                _grains = client.Services.GetRequiredService<IClusterClient>();
                var probe = new ReplicaProbe(_grains);
                for (var group = 0; group < options.Groups; group++)
                {
                    var leader = await probe.WaitForLeaderAsync(group, TimeSpan.FromSeconds(60), spread: options.Silos >= 3, cancellationToken: stop.Token);
                    Log($"group {group}: leader {leader.ReplicaKey} term {leader.Term} on {leader.Silo}");
                }

                var bad = 0L;
                if (options.Scenarios.Length > 0)
                {
                    bad += await BenchAsync(stop.Token);
                }

                if (options.FailoverRounds > 0)
                {
                    await FailoverAsync(probe, stop.Token);
                }

                await WriteSummaryAsync();
                return bad == 0 ? 0 : 3;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                Log("cancelled");
                return 130;
            }
            finally
            {
                if (client is not null)
                {
                    await client.StopAsync(TimeSpan.FromSeconds(5));
                    client.Dispose();
                }

                if (_cluster is not null)
                {
                    await _cluster.DisposeAsync();
                }

                if (azuritePid is not null)
                {
                    await AzuriteScript.StopAsync(azuritePid);
                }

                foreach (var pid in _replicaAzurites)
                {
                    await AzuriteScript.StopAsync(pid);
                }
            }
        }

        // ------------------------------------------------------------ sessions

        /// <summary>A client with a session of its own: an <see cref="ILockClient"/> of its own over the shared cluster client.</summary>
        private async Task<(ILockClient Client, ServiceProvider Services)> NewClientAsync(RecordingLoggerProvider? logs = null)
        {
            var services = new ServiceCollection();
            services.AddSingleton<IGrainFactory>(_grains);
            if (logs is not null)
            {
                services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
            }

            services.AddLockClient(o =>
            {
                o.SessionTtl = TimeSpan.FromSeconds(10);
                if (options.ClientCallTimeoutMs is { } callTimeout)
                {
                    o.CallTimeout = TimeSpan.FromMilliseconds(callTimeout);
                }

                if (options.ClientWaitPollMs is { } poll)
                {
                    o.WaitPollInterval = TimeSpan.FromMilliseconds(poll);
                }
            });
            var provider = services.BuildServiceProvider();
            await Task.Yield();
            return (provider.GetRequiredService<ILockClient>(), provider);
        }

        private static async Task CloseAsync((ILockClient Client, ServiceProvider Services) client)
        {
            try
            {
                await client.Client.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception)
            {
                // best effort: the session expires by itself after its TTL
            }

            await client.Services.DisposeAsync();
        }

        // ------------------------------------------------------------ bench

        private async Task<long> BenchAsync(CancellationToken cancellationToken)
        {
            if (options.PrewarmS > 0)
            {
                // Unmeasured pass so JIT/tiering and connection setup do not land in the first cell's numbers.
                var pw = await RunCellAsync(options.Label + "-prewarm", "uncontended", Math.Min(8, options.Clients.Max()), 0, 0, options.PrewarmS, cancellationToken);
                Log($"prewarm: {pw.Throughput:F0} pairs/s (discarded)");
            }

            Log($"{options.Label}: clients={string.Join(",", options.Clients)} scenarios={string.Join(",", options.Scenarios)} warmup={options.WarmupS}s duration={options.DurationS}s repeats={options.Repeats}");
            var jsonl = Path.Combine(options.OutDirectory, "bench.jsonl");
            for (var run = 1; run <= options.Repeats; run++)
            {
                foreach (var scenario in options.Scenarios)
                {
                    foreach (var clients in options.Clients)
                    {
                        var r = await RunCellAsync(options.Label, scenario, clients, run, options.WarmupS, options.DurationS, cancellationToken);
                        _cells.Add(r);
                        Console.WriteLine(
                            $"  {r.Scenario,-11} C={r.Clients,-3} run {r.Run}: {r.Throughput,9:F1} pairs/s  p50 {r.P50Ms,7:F2} ms  p99 {r.P99Ms,7:F2} ms  " +
                            $"max {r.MaxMs,7:F1} ms  errors {r.Errors}  acq {r.Acquisitions}  overlap {r.OverlapViolations} holders {r.HolderViolations} " +
                            $"tokens {r.TokenViolations}  bg-fail {r.BackgroundFailures}");
                        await File.AppendAllTextAsync(jsonl, JsonSerializer.Serialize(r, Json) + "\n", CancellationToken.None);
                    }
                }
            }

            var bad = _cells.Sum(r => r.OverlapViolations + r.HolderViolations + r.TokenViolations);
            Log($"checker: total violations = {bad} over {_cells.Sum(r => r.Acquisitions)} acquisitions");
            return bad;
        }

        private async Task<CellResult> RunCellAsync(string label, string scenario, int clients, int run, double warmupS, double durationS, CancellationToken cancellationToken)
        {
            var contended = scenario == "contended";
            if (!contended && scenario != "uncontended")
            {
                throw new ArgumentException($"unknown scenario {scenario}");
            }

            var runId = $"{label}/{scenario}/{clients}/{run}/{DateTime.UtcNow.Ticks:x}";
            var sharedName = $"bench/{runId}/lock";
            var callTimeout = TimeSpan.FromSeconds(options.CallTimeoutS);

            // Hard cap for the whole cell: nothing below may run past it.
            using var hard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            hard.CancelAfter(TimeSpan.FromSeconds(warmupS + durationS + 60));
            var sessions = new (ILockClient Client, ServiceProvider Services)[clients];
            for (var i = 0; i < clients; i++)
            {
                sessions[i] = await NewClientAsync();
            }

            // Open every session before the clock starts (the SDK opens a group's session on first use).
            await Task.WhenAll(sessions.Select(async (s, i) =>
            {
                var h = await s.Client.AcquireAsync($"bench/{runId}/open/{i}", callTimeout, cancellationToken: hard.Token);
                await h.ReleaseAsync(hard.Token);
            }));

            var t0 = Stopwatch.GetTimestamp();
            var warmEnd = t0 + (long)(warmupS * Freq);
            var end = warmEnd + (long)(durationS * Freq);
            var holders = 0;
            long holderViolations = 0;

            async Task<(List<double> Latencies, List<Hold> Holds, long Errors)> Worker(int i)
            {
                var locks = sessions[i].Client;
                var name = contended ? sharedName : $"bench/{runId}/u/{i}";
                var latencies = new List<double>(4096);
                var holds = new List<Hold>(4096);
                long errors = 0;
                var ct = hard.Token;
                while (Stopwatch.GetTimestamp() < end && !ct.IsCancellationRequested)
                {
                    var ts = Stopwatch.GetTimestamp();
                    LockHandle handle;
                    try
                    {
                        handle = await locks.AcquireAsync(name, callTimeout, cancellationToken: ct);
                    }
                    catch (Exception) when (ct.IsCancellationRequested)
                    {
                        break;
                    }
                    catch (Exception)
                    {
                        errors++;
                        await Task.Delay(10, CancellationToken.None);
                        continue;
                    }

                    var acquired = Stopwatch.GetTimestamp();
                    if (contended && Interlocked.Increment(ref holders) != 1)
                    {
                        Interlocked.Increment(ref holderViolations);
                    }

                    if (contended)
                    {
                        Interlocked.Decrement(ref holders);
                    }

                    var releasing = Stopwatch.GetTimestamp();
                    var released = false;
                    for (var attempt = 0; attempt < 5 && !released && !ct.IsCancellationRequested; attempt++)
                    {
                        try
                        {
                            await handle.ReleaseAsync(ct);
                            released = true;
                        }
                        catch (Exception) when (!ct.IsCancellationRequested)
                        {
                            errors++;
                            await Task.Delay(10, CancellationToken.None);
                        }
                        catch (Exception)
                        {
                            break;
                        }
                    }

                    var te = Stopwatch.GetTimestamp();
                    holds.Add(new Hold(acquired, releasing, handle.Token));
                    if (released && te >= warmEnd && te <= end)
                    {
                        latencies.Add((te - ts) * 1000.0 / Freq);
                    }
                }

                return (latencies, holds, errors);
            }

            var outs = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => Task.Run(() => Worker(i), CancellationToken.None)));
            var background = 0L; // the SDK retries keepalives itself; a lost session shows up as errors above
            await Task.WhenAll(sessions.Select(CloseAsync));

            var all = outs.SelectMany(o => o.Latencies).ToArray();
            Array.Sort(all);

            // ---- checkers
            long overlap = 0, tokenViolations = 0;
            if (contended)
            {
                var holds = outs.SelectMany(o => o.Holds).OrderBy(h => h.AcquiredTs).ToArray();
                var maxReleasing = long.MinValue;
                var previous = FencingToken.None;
                foreach (var h in holds)
                {
                    if (h.AcquiredTs < maxReleasing)
                    {
                        overlap++;
                    }

                    if (h.Token <= previous)
                    {
                        tokenViolations++;
                    }

                    maxReleasing = Math.Max(maxReleasing, h.ReleasingTs);
                    previous = h.Token;
                }
            }
            else
            {
                foreach (var o in outs)
                {
                    for (var k = 1; k < o.Holds.Count; k++)
                    {
                        if (o.Holds[k].Token <= o.Holds[k - 1].Token)
                        {
                            tokenViolations++;
                        }
                    }
                }
            }

            return new CellResult(
                label, "lockservice", scenario, clients, run, warmupS, durationS,
                all.Length, durationS > 0 ? all.Length / durationS : 0, Pct(all, 0.50), Pct(all, 0.99), all.Length > 0 ? all[^1] : double.NaN,
                outs.Sum(o => o.Errors), outs.Sum(o => (long)o.Holds.Count), overlap, Interlocked.Read(ref holderViolations), tokenViolations, true, background);
        }

        private static double Pct(double[] sorted, double p)
        {
            if (sorted.Length == 0)
            {
                return double.NaN;
            }

            var index = (int)Math.Ceiling(p * sorted.Length) - 1; // nearest rank
            return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
        }

        // ------------------------------------------------------------ failover

        private async Task FailoverAsync(ReplicaProbe probe, CancellationToken cancellationToken)
        {
            var cluster = _cluster!;
            var jsonl = Path.Combine(options.OutDirectory, "failover.jsonl");
            var callTimeout = TimeSpan.FromSeconds(options.FailoverCallTimeoutS);
            for (var round = 1; round <= options.FailoverRounds; round++)
            {
                var leader = await probe.WaitForLeaderAsync(0, TimeSpan.FromSeconds(60), spread: true, cancellationToken: cancellationToken);
                var logs = new RecordingLoggerProvider();
                var session = await NewClientAsync(logs);
                var name = $"bench/{options.Label}/failover/{round}/{DateTime.UtcNow.Ticks:x}";
                var acquires = new List<(long Sent, long Received)>(65536);
                var errors = new List<(long At, string What)>();
                var calls = new List<(long Sent, long Done, string What)>(65536);
                using var hard = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                hard.CancelAfter(TimeSpan.FromSeconds(options.FailoverS + 30));
                var started = Stopwatch.GetTimestamp();
                var end = started + (long)(options.FailoverS * Freq);

                async Task Loop()
                {
                    while (Stopwatch.GetTimestamp() < end && !hard.IsCancellationRequested)
                    {
                        var sent = Stopwatch.GetTimestamp();
                        LockHandle handle;
                        try
                        {
                            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(hard.Token);
                            deadline.CancelAfter(callTimeout);
                            handle = await session.Client.AcquireAsync(name, callTimeout, cancellationToken: deadline.Token);
                        }
                        catch (Exception e) when (!hard.IsCancellationRequested)
                        {
                            lock (errors)
                            {
                                errors.Add((Stopwatch.GetTimestamp(), "acquire:" + e.GetType().Name));
                                calls.Add((sent, Stopwatch.GetTimestamp(), "acquire failed: " + e.GetType().Name));
                            }

                            await Task.Delay(10, CancellationToken.None);
                            continue;
                        }
                        catch (Exception)
                        {
                            break;
                        }

                        lock (errors)
                        {
                            acquires.Add((sent, Stopwatch.GetTimestamp()));
                            calls.Add((sent, Stopwatch.GetTimestamp(), "acquire ok " + handle.Token));
                        }

                        for (var attempt = 0; attempt < 50 && Stopwatch.GetTimestamp() < end + (long)(10 * Freq); attempt++)
                        {
                            var releaseSent = Stopwatch.GetTimestamp();
                            try
                            {
                                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(hard.Token);
                                deadline.CancelAfter(callTimeout);
                                await handle.ReleaseAsync(deadline.Token);
                                lock (errors)
                                {
                                    calls.Add((releaseSent, Stopwatch.GetTimestamp(), "release ok"));
                                }

                                break;
                            }
                            catch (Exception e) when (!hard.IsCancellationRequested)
                            {
                                lock (errors)
                                {
                                    errors.Add((Stopwatch.GetTimestamp(), "release:" + e.GetType().Name));
                                    calls.Add((releaseSent, Stopwatch.GetTimestamp(), "release failed: " + e.GetType().Name));
                                }

                                if (e is LockNotHeldException or StaleFencingTokenException)
                                {
                                    break;
                                }

                                await Task.Delay(10, CancellationToken.None);
                            }
                            catch (Exception)
                            {
                                break;
                            }
                        }
                    }
                }

                var loop = Task.Run(Loop, CancellationToken.None);
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                leader = probe.Leader(await probe.StatusesAsync()) ?? leader;
                var victim = cluster.FindBySiloAddress(leader.Silo) ?? throw new InvalidOperationException($"no silo process has address {leader.Silo}");
                var killedAt = await Task.Run(() => cluster.Kill(victim), CancellationToken.None);
                await loop;
                await CloseAsync(session);

                var newLeader = await probe.WaitForLeaderAsync(0, TimeSpan.FromSeconds(30), aboveTerm: leader.Term, cancellationToken: cancellationToken);
                var result = Summarize(round, victim, leader, newLeader, killedAt, acquires, errors);
                await WriteTimelineAsync(round, killedAt, calls, logs, result);
                _failovers.Add(result);
                await File.AppendAllTextAsync(jsonl, JsonSerializer.Serialize(result, Json) + "\n", CancellationToken.None);
                Log($"round {round}: SIGKILLed {victim} hosting leader {leader.ReplicaKey} (term {leader.Term}); gap kill->next acquire {Ms(result.GapNextMs)} ms, " +
                    $"max stall {Ms(result.MaxStallMs)} ms, kill->first new leader {Ms(result.LeaderElectedMs)} ms, new leader {newLeader.ReplicaKey} term {newLeader.Term}, errors after kill {result.ErrorsAfterKill} [{string.Join(", ", result.ErrorKinds)}]");

                await cluster.StartSiloAsync(victim, cancellationToken);
            }

            var gaps = _failovers.Where(f => f.GapNextMs is not null).Select(f => f.GapNextMs!.Value).ToArray();
            Log($"failover: median gap kill->next acquire = {Ms(Median(gaps))} ms over {gaps.Length} rounds ({string.Join(", ", gaps.Select(g => Ms(g)))})");
        }

        /// <summary>The failover client's calls around the kill (ms relative to the kill), for finding where the gap goes.</summary>
        private async Task WriteTimelineAsync(
            int round, long killedAt, List<(long Sent, long Done, string What)> calls, RecordingLoggerProvider logs, FailoverResult result)
        {
            double Rel(long ts) => (ts - killedAt) * 1000.0 / Freq;
            var until = (result.GapNextMs ?? 5000) + 100;
            var lines = calls
                .Where(c => Rel(c.Done) >= -100 && Rel(c.Sent) <= until)
                .Select(c => (At: c.Sent, Text: string.Create(CultureInfo.InvariantCulture, $"{Rel(c.Sent),9:F1} -> {Rel(c.Done),9:F1} ms  {c.What}")))
                .Concat(logs.Lines
                    .Where(l => Rel(l.At) >= -100 && Rel(l.At) <= until)
                    .Select(l => (l.At, Text: string.Create(CultureInfo.InvariantCulture, $"{Rel(l.At),9:F1}              {l.Line}"))))
                .OrderBy(l => l.At)
                .Select(l => l.Text)
                .Prepend($"round {round}: ms from SIGKILL; first new leader elected at {Ms(result.LeaderElectedMs)} ms (silo logs)");
            await File.WriteAllLinesAsync(Path.Combine(options.OutDirectory, $"failover-timeline-{round}.txt"), lines);
        }

        private FailoverResult Summarize(
            int round, SiloProcess victim, ReplicaStatus leader, ReplicaStatus newLeader, long killedAt,
            List<(long Sent, long Received)> acquires, List<(long At, string What)> errors)
        {
            double ToMs(long ticks) => ticks * 1000.0 / Freq;
            double? gap = null, stall = null, lastBefore = null;
            var next = acquires.FirstOrDefault(x => x.Sent >= killedAt);
            if (next != default)
            {
                gap = ToMs(next.Received - killedAt);
            }

            var around = acquires.Where(x => x.Received >= killedAt - (long)Freq).Select(x => x.Received).ToList();
            var before = acquires.LastOrDefault(x => x.Received < killedAt);
            if (before != default)
            {
                around.Insert(0, before.Received);
                lastBefore = ToMs(killedAt - before.Received);
            }

            around = [.. around.Distinct().Order()];
            for (var i = 1; i < around.Count; i++)
            {
                stall = Math.Max(stall ?? 0, ToMs(around[i] - around[i - 1]));
            }

            return new FailoverResult(
                options.Label + "-failover", round, victim.ToString(), leader.ReplicaKey, leader.Term, newLeader.Term, acquires.Count, errors.Count,
                errors.Count(e => e.At >= killedAt), gap, stall, lastBefore, LeaderElectedMs(leader.Term, killedAt),
                [.. errors.Where(e => e.At >= killedAt).GroupBy(e => e.What).Select(g => $"{g.Key} x{g.Count()}").Take(8)]);
        }

        /// <summary>
        /// Kill -> the first "became leader in term N" (N above the killed leader's term) in any surviving silo's log,
        /// from the silos' console timestamps (this machine's clock, millisecond resolution).
        /// </summary>
        private double? LeaderElectedMs(long leaderTerm, long killedAt)
        {
            var killedWall = DateTime.Now - Stopwatch.GetElapsedTime(killedAt);
            double? first = null;
            foreach (var silo in _cluster!.Silos)
            {
                string[] lines;
                try
                {
                    lines = File.ReadAllLines(silo.LogPath);
                }
                catch (IOException)
                {
                    continue;
                }

                for (var i = 1; i < lines.Length; i++)
                {
                    var at = lines[i].IndexOf(" became leader in term ", StringComparison.Ordinal);
                    if (at < 0
                        || !long.TryParse(lines[i].AsSpan(at + 23).Trim(), CultureInfo.InvariantCulture, out var term) || term <= leaderTerm
                        || !TimeSpan.TryParseExact(lines[i - 1][..Math.Min(12, lines[i - 1].Length)], @"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture, out var time))
                    {
                        continue;
                    }

                    var ms = (killedWall.Date + time - killedWall).TotalMilliseconds;
                    if (ms >= -5 && (first is null || ms < first))
                    {
                        first = ms;
                    }
                }
            }

            return first;
        }

        private static double? Median(double[] values)
        {
            if (values.Length == 0)
            {
                return null;
            }

            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
        }

        private static string Ms(double? ms) => ms is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "-";

        // ------------------------------------------------------------ output

        private async Task WriteSummaryAsync()
        {
            var md = new StringBuilder();
            var etcd = LoadEtcd();
            md.AppendLine(etcd.Count == 0
                ? "| cluster | scenario | C | pairs/s | p50 ms | p99 ms | errors | violations / acquisitions |"
                : "| cluster | scenario | C | pairs/s | p50 ms | p99 ms | errors | violations / acquisitions | etcd pairs/s | etcd p50 ms | pairs/s ratio |");
            md.AppendLine(etcd.Count == 0 ? "|---|---|---:|---:|---:|---:|---:|---|" : "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|");
            foreach (var g in _cells.GroupBy(c => (c.Label, c.Scenario, c.Clients)).OrderBy(g => g.Key.Scenario).ThenBy(g => g.Key.Clients))
            {
                var runs = g.OrderBy(c => c.Run).ToArray();
                md.Append(CultureInfo.InvariantCulture,
                    $"| {g.Key.Label} | {g.Key.Scenario} | {g.Key.Clients} | {Join(runs, c => c.Throughput, "0")} | {Join(runs, c => c.P50Ms, "0.00")} | " +
                    $"{Join(runs, c => c.P99Ms, "0.00")} | {runs.Sum(c => c.Errors)} | {runs.Sum(c => c.OverlapViolations + c.HolderViolations + c.TokenViolations)} / {runs.Sum(c => c.Acquisitions)} |");
                if (etcd.Count > 0)
                {
                    var peer = etcd.Where(e => e.Label.Contains("3member", StringComparison.Ordinal) && e.Scenario == g.Key.Scenario && e.Clients == g.Key.Clients).ToArray();
                    var ratio = peer.Length > 0 ? runs.Average(c => c.Throughput) / peer.Average(e => e.Throughput) : double.NaN;
                    md.Append(CultureInfo.InvariantCulture,
                        $" {(peer.Length > 0 ? Join(peer, e => e.Throughput, "0") : "-")} | {(peer.Length > 0 ? Join(peer, e => e.P50Ms, "0.0") : "-")} | {(double.IsNaN(ratio) ? "-" : ratio.ToString("0.00", CultureInfo.InvariantCulture))}× |");
                }

                md.AppendLine();
            }

            if (_failovers.Count > 0)
            {
                var gaps = _failovers.Where(f => f.GapNextMs is not null).Select(f => f.GapNextMs!.Value).ToArray();
                var stalls = _failovers.Where(f => f.MaxStallMs is not null).Select(f => f.MaxStallMs!.Value).ToArray();
                var elected = _failovers.Where(f => f.LeaderElectedMs is not null).Select(f => f.LeaderElectedMs!.Value).ToArray();
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"failover ({options.Silos} silos, leader's silo SIGKILLed, 1 client Acquire/Release loop, per-call deadline {options.FailoverCallTimeoutS} s): " +
                    $"median gap kill->next acquire = {Ms(Median(gaps))} ms over {gaps.Length} rounds ({string.Join(", ", gaps.Select(g => Ms(g)))}); " +
                    $"median max stall = {Ms(Median(stalls))} ms; median kill->new leader elected = {Ms(Median(elected))} ms");
            }

            var text = md.ToString();
            await File.WriteAllTextAsync(Path.Combine(options.OutDirectory, "summary.md"), text);
            Console.WriteLine();
            Console.WriteLine("== summary (pairs/s and latency per cell; run1 / run2) ==");
            Console.Write(text);
        }

        private static string Join<T>(IEnumerable<T> runs, Func<T, double> value, string format) =>
            string.Join(" / ", runs.Select(r => value(r).ToString(format, CultureInfo.InvariantCulture)));

        private List<CellResult> LoadEtcd()
        {
            if (options.CompareEtcd is null || !File.Exists(options.CompareEtcd))
            {
                return [];
            }

            return [.. File.ReadAllLines(options.CompareEtcd).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<CellResult>(l, Json)!)];
        }

        private string Environment() =>
            $"host: {System.Environment.ProcessorCount} cores; {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; " +
            $".NET {System.Environment.Version}\noptions: {options}\n";

        private static void Log(string message) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {message}");
    }
}
