using System.Diagnostics;
using LockService.Testing;

namespace LockService.Chaos.Harness;

/// <summary>
/// Cuts a silo's replicas off from their peers through the silos' fault-injection filter
/// (<c>LockService:FaultInjection:PartitionDirectory</c>): while the file <c>isolate-{silo port}</c> exists there, that
/// silo drops every replica-to-replica message it would send or receive. Clients still reach it, as they would reach
/// the minority side of a real network partition. Network namespaces would cut real sockets, but need a veth pair
/// per silo and would cut the silo from Azurite too; the filter cuts exactly the Raft traffic.
/// </summary>
internal sealed class PartitionMarkers(string directory)
{
    public string Directory { get; } = directory;

    public long Isolate(SiloProcess silo)
    {
        var at = Stopwatch.GetTimestamp();
        File.WriteAllText(Path(silo), "isolated by the chaos nemesis\n");
        return at;
    }

    public long Heal(SiloProcess silo)
    {
        var at = Stopwatch.GetTimestamp();
        File.Delete(Path(silo));
        return at;
    }

    private string Path(SiloProcess silo) => System.IO.Path.Combine(Directory, $"isolate-{silo.SiloPort}");
}
