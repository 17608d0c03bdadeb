using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// The state machine a simulated replica applies committed entries to (the lease state machine plugs in here).
/// A fresh instance is made at every (re)start and restored from the replica's durable snapshot, if any.
/// </summary>
public interface IReplicaApplier
{
    /// <summary>Applies one committed entry; entries come in index order without gaps (no-ops included).</summary>
    void Apply(in LogEntry entry);

    /// <summary>The state after the last applied entry, handed to <see cref="RaftNode.Compact"/>.</summary>
    byte[] TakeSnapshot();

    /// <summary>Replaces the state with a snapshot (restart, or InstallSnapshot from the leader).</summary>
    void Restore(ReadOnlyMemory<byte> snapshot);

    /// <summary>A fingerprint of the state: replicas that applied the same index must agree on it.</summary>
    ulong StateHash { get; }
}
