using LockService.Security;
using Orleans.Concurrency;

namespace LockService.Hosting;

/// <summary>
/// Replica-to-replica transport. Raft messages travel as encoded batches in one-way calls, so no replica ever
/// awaits a peer: a dead or slow peer costs a lost message (Raft retries), never a blocked caller.
/// </summary>
[Alias("LockService.IReplicaPeerGrain")]
public interface IReplicaPeerGrain : IGrainWithStringKey
{
    /// <summary>Silo-only: a forged batch would be forged votes and appends, so forged lease commands.</summary>
    [OneWay, SiloOnly, Alias("Deliver")]
    Task Deliver(byte[] batch);

    /// <summary>
    /// Nothing but a round trip: it refreshes where the caller's silo thinks this replica lives. Unlike a one-way
    /// call, a request that reaches a replica's old silo after the replica moved comes back with the new address; with
    /// <paramref name="reachBack"/>, this replica then does the same toward the caller (a replica that just moved asks
    /// its peers so, since their silos still hold its old address).
    /// </summary>
    [SiloOnly, Alias("Touch")]
    Task Touch(int from, bool reachBack);

    /// <summary>Activates the replica (the directory wakes every replica at start-up) and reports its view.</summary>
    [Alias("Status")]
    Task<ReplicaStatus> Status();
}
