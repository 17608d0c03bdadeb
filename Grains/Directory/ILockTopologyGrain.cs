using LockService.Protocol;
using LockService.Security;

namespace LockService.Directory;

/// <summary>Silo-side access to the durable topology record (same grain as <see cref="ILockDirectoryGrain"/>).</summary>
[SiloOnly]
[Alias("LockService.ILockTopologyGrain")]
public interface ILockTopologyGrain : IGrainWithStringKey
{
    /// <summary>
    /// Records <paramref name="configured"/> on first use; afterwards returns the recorded topology, or throws
    /// <see cref="TopologyMismatchException"/> when the configured one differs.
    /// </summary>
    [Alias("Establish")]
    Task<LockTopology> Establish(LockTopology configured);
}
