namespace LockService.Silo.Hosting;

/// <summary>
/// Test-only fault injection, off unless configured (section "LockService:FaultInjection"). Used by the chaos
/// harness (bench/Chaos); never set it in production.
/// </summary>
public sealed class FaultInjectionOptions
{
    public const string SectionName = "LockService:FaultInjection";

    /// <summary>
    /// When set, this silo drops every replica-to-replica message it sends or receives while the file
    /// <c>isolate-{SiloPort}</c> exists in this folder: a network partition between its replicas and their peers.
    /// </summary>
    public string? PartitionDirectory { get; set; }
}
