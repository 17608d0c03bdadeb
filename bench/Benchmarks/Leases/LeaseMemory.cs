using System.Diagnostics;
using LockService.Client;
using LockService.Leases;

namespace LockService.Benchmarks.Leases;

/// <summary>
/// The leader's lease state for N sessions that each hold one lock (the 100,000-sessions target): bytes of
/// managed heap per lease, and the keepalive cost, which is the Tick entries that renew every session once per
/// keepalive interval (their count, bytes, and apply time). Pure state machine in one process: no load dependence
/// for the bytes. Run: <c>dotnet run -c Release --project bench/Benchmarks -- --lease-memory 100000</c>.
/// </summary>
internal static class LeaseMemory
{
    private const int RenewalsPerTick = 2048; // ReplicaCoreOptions.MaxRenewalsPerTick

    public static int Run(int sessions)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var machine = new LeaseStateMachine();
        long index = 0;
        for (var s = 0; s < sessions; s++)
        {
            machine.Apply(new OpenSession(new RequestId(LeaseApplyBenchmarks.ClientOf(s), 1), 0, LeaseApplyBenchmarks.SessionOf(s), 10_000, 0), 1, ++index);
            machine.Apply(new Acquire(new RequestId(LeaseApplyBenchmarks.ClientOf(s), 2), 2, LeaseApplyBenchmarks.SessionOf(s), $"orders/{s}", LockMode.Exclusive), 1, ++index);
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);

        // One keepalive round: every session renewed, RenewalsPerTick per Tick entry.
        var ticks = new List<Tick>();
        for (var s = 0; s < sessions; s += RenewalsPerTick)
        {
            var count = Math.Min(RenewalsPerTick, sessions - s);
            ticks.Add(new Tick(1_000, [.. Enumerable.Range(s, count).Select(LeaseApplyBenchmarks.SessionOf)]));
        }

        var encodedBytes = ticks.Sum(t => (long)LeaseCommandCodec.Encode(t).Length);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        foreach (var tick in ticks)
        {
            machine.Apply(LeaseCommandCodec.Decode(LeaseCommandCodec.Encode(tick)), 1, ++index);
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        GC.KeepAlive(machine);

        Console.WriteLine($"sessions, each holding one lock: {sessions:N0} (sessions live: {machine.SessionCount:N0}, locks: {machine.LockCount:N0})");
        Console.WriteLine($"managed heap of the lease state: {(after - before) / 1024.0 / 1024.0:F1} MiB = {(after - before) / (double)sessions:F0} bytes per lease");
        Console.WriteLine($"one keepalive round (every session renewed once): {ticks.Count} Tick entries, {encodedBytes / 1024.0:F0} KiB encoded, " +
            $"encode+decode+apply {elapsed.TotalMilliseconds:F1} ms wall, {cpu.TotalMilliseconds:F0} ms CPU; load average {LoadAverage()}");
        Console.WriteLine($"at the SDK's default keepalive interval (TTL/3 = 3.3 s for a 10 s TTL): {ticks.Count / 3.33:F1} Tick entries/s, " +
            $"{encodedBytes / 3.33 / 1024:F0} KiB/s of log per replica");
        return 0;
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
