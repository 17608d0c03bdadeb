using LockService.Client;

namespace LockService.Protocol;

/// <summary>
/// A second way in to the replicas, for a client whose gateway silo is stuck: the same calls as
/// <see cref="ILockReplicaGrain"/>, passed on to replica <c>replica</c> of <c>group</c> silo to silo. A stateless
/// worker, so it runs on the gateway silo that received the call. An Orleans client sends every call for one grain
/// through one gateway, chosen per grain; when that silo is paused (but not yet declared dead), calls to every
/// replica whose grain shares it hang, though the replicas themselves live elsewhere. Calls to entries with other
/// keys are spread over the client's other gateways, and reach the same replicas.
/// </summary>
[Alias("LockService.ILockEntryGrain")]
public interface ILockEntryGrain : IGrainWithIntegerKey
{
    /// <summary>Keys 0 to KeyCount - 1 are the entries clients use: more than the silos of a usual cluster, so every gateway gets some.</summary>
    const int KeyCount = 16;

    /// <summary>Does nothing: a silo calls each key once at start-up, so that the entry is placed (and its place cached) there.</summary>
    [Alias("Warm")]
    Task Warm();

    [Alias("OpenSession")]
    Task<SessionReply> OpenSession(int group, int replica, OpenSessionRequest request);

    [Alias("KeepAlive")]
    Task<SessionReply> KeepAlive(int group, int replica, KeepAliveRequest request);

    [Alias("CloseSession")]
    Task<SessionReply> CloseSession(int group, int replica, CloseSessionRequest request);

    [Alias("Acquire")]
    Task<AcquireReply> Acquire(int group, int replica, AcquireRequest request);

    [Alias("Release")]
    Task<ReleaseReply> Release(int group, int replica, ReleaseRequest request);

    [Alias("CancelWait")]
    Task<ReleaseReply> CancelWait(int group, int replica, CancelWaitRequest request);

    [Alias("Describe")]
    Task<DescribeReply> Describe(int group, int replica, string name);

    [Alias("IsCurrent")]
    Task<IsCurrentReply> IsCurrent(int group, int replica, string name, FencingToken token);
}
