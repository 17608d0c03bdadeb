using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// What a host does with the work one input of <see cref="ReplicaCore"/> left (<see cref="ReplicaOutbox.DrainTo"/>):
/// the grain in a silo, the simulator's host in the lease sweeps. The order of the calls and what a stop skips are
/// the driver's, so the sweeps check the order the service runs.
/// </summary>
public interface IReplicaHost
{
    /// <summary>False once the host has deactivated the core: what is left in the outbox is dropped.</summary>
    bool Live { get; }

    /// <summary>One-way sends, in order; the list is valid only during the call.</summary>
    void Send(IReadOnlyList<RaftMessage> messages);

    void Reply(long ticket, ReplicaReply reply);

    void Forward(ForwardRequest forward);

    void Report(ReplicaEvent replicaEvent);

    /// <summary>The core stopped acting as the replica: fail what waits and deactivate. No write, check or move starts after it.</summary>
    void Stop(string reason);

    void StartWrite(StorageWrite write);

    void StartVerify(long checkId);

    /// <summary>Answer <see cref="ReplicaCore.PlacementChecked"/>, now or later.</summary>
    void CheckPlacement();

    void Move();
}
