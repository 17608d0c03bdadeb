using LockService.Client;

namespace LockService.Protocol;

/// <summary>
/// The client entry point: one replica of one lock group, keyed <c>"{group}/{replica}"</c>. Only the group's
/// leader serves; any other replica answers <see cref="ReplyStatus.NotLeader"/> with a hint. Commands answer
/// after they are committed on a majority and applied; queries are linearizable (ReadIndex).
/// </summary>
[Alias("LockService.ILockReplicaGrain")]
public interface ILockReplicaGrain : IGrainWithStringKey
{
    [Alias("OpenSession")]
    Task<SessionReply> OpenSession(OpenSessionRequest request);

    /// <summary>Renews a session; handled by the leader without a log entry of its own.</summary>
    [Alias("KeepAlive")]
    Task<SessionReply> KeepAlive(KeepAliveRequest request);

    [Alias("CloseSession")]
    Task<SessionReply> CloseSession(CloseSessionRequest request);

    [Alias("Acquire")]
    Task<AcquireReply> Acquire(AcquireRequest request);

    [Alias("Release")]
    Task<ReleaseReply> Release(ReleaseRequest request);

    [Alias("CancelWait")]
    Task<ReleaseReply> CancelWait(CancelWaitRequest request);

    [Alias("Describe")]
    Task<DescribeReply> Describe(string name);

    [Alias("IsCurrent")]
    Task<IsCurrentReply> IsCurrent(string name, FencingToken token);

    /// <summary>Locks of this group whose names start with <paramref name="prefix"/>, in ordinal order, a page at a time.</summary>
    [Alias("List")]
    Task<ListReply> List(string prefix, string? after, int limit);

    /// <summary>
    /// This replica's own view (role, term, leader, indexes, log and snapshot size, the first 100 locks of its applied
    /// state). Parameterless and named GetState so the Orleans dashboard's Grain Details shows it; not linearizable.
    /// </summary>
    [Alias("GetState")]
    Task<ReplicaState> GetState();
}
