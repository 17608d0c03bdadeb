using LockService.Client;
using LockService.Leases;
using LockService.Protocol;
using LockService.Replica;

namespace LockService.Hosting;

/// <summary>The replica's own view for the dashboard and the lease pages: the core's inspection, in wire records.</summary>
public sealed partial class ReplicaGrain
{
    public Task<ReplicaState> GetState() =>
        Task.FromResult(ToWire(_key, GrainContext.Address.SiloAddress?.ToString() ?? "", _core.Inspect(Now)));

    internal static ReplicaState ToWire(string key, string silo, ReplicaInspection view) => new(
        key,
        view.Role,
        view.Term,
        view.LeaderId,
        view.CommitIndex,
        view.AppliedIndex,
        view.FirstLogIndex,
        view.LastLogIndex,
        view.LogEntries,
        view.SnapshotIndex,
        view.SnapshotBytes,
        view.Sessions,
        view.LockCount,
        view.Locks.Select(ToWire).ToArray(),
        silo,
        view.StopReason);

    private static ReplicaLockState ToWire(LockInspection inspection)
    {
        var description = inspection.Lock;
        var kind = description.MaxCount > 0 ? $"Semaphore({description.MaxCount})"
            : description.Holders.Count > 0 ? description.Holders[0].Mode.ToString()
            : "Waiting";
        return new ReplicaLockState(
            description.Name,
            kind,
            inspection.HolderCount,
            inspection.WaiterCount,
            description.Holders.Select(h => new ReplicaHolderState(LeaseIds.ToGuid(h.Session), h.Mode.ToString(), h.Token.ToString(), h.SessionRemainingMs)).ToArray(),
            description.Waiters.Select(w => new ReplicaWaiterState(w.Position, LeaseIds.ToGuid(w.Session), w.Mode.ToString(), $"{LeaseIds.ToGuid(w.Request.Client)}#{w.Request.Sequence}")).ToArray());
    }
}
