using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>
/// The only I/O of the client core: one wire request to one replica of one lock group, and the cluster topology.
/// Everything else the SDK decides (which replica, how long to wait, when to probe another, retries, sessions,
/// request ids) is the core's, on its <see cref="TimeProvider"/>: <see cref="ReplicaRouter"/> and above.
/// </summary>
/// <remarks>
/// A call answers with the replica's reply, fails with <see cref="ReplicaFailedException"/> when that replica could
/// not take it (the core tries another one), or never completes (the core stops waiting after
/// <see cref="LockClientOptions.CallTimeout"/>). Any other exception is a bug, logged as such, and also moves on.
/// </remarks>
internal interface IReplicaChannel
{
    /// <summary>The number of groups and replicas per group.</summary>
    Task<LockTopology> ReadTopologyAsync();

    /// <summary>
    /// The same calls, asking a replica that is not the leader to pass them on to the leader it knows
    /// (<see cref="ReplicaCallContext.ForwardToLeader"/>): for a leader the followers name but this client cannot reach.
    /// </summary>
    IReplicaChannel ViaFollower { get; }

    /// <summary>
    /// The same calls, each by a way that does not depend on the gateway the direct calls use (Orleans: through an
    /// <see cref="ILockEntryGrain"/>, one key after another, so consecutive calls leave through different gateways).
    /// </summary>
    IReplicaChannel ViaAnotherGateway { get; }

    Task<SessionReply> OpenSessionAsync(int group, int replica, OpenSessionRequest request);

    Task<SessionReply> KeepAliveAsync(int group, int replica, KeepAliveRequest request);

    Task<SessionReply> CloseSessionAsync(int group, int replica, CloseSessionRequest request);

    Task<AcquireReply> AcquireAsync(int group, int replica, AcquireRequest request);

    Task<ReleaseReply> ReleaseAsync(int group, int replica, ReleaseRequest request);

    Task<ReleaseReply> CancelWaitAsync(int group, int replica, CancelWaitRequest request);

    Task<DescribeReply> DescribeAsync(int group, int replica, string name);

    Task<IsCurrentReply> IsCurrentAsync(int group, int replica, string name, FencingToken token);
}

/// <summary>One replica could not take a call (its silo is gone, the message was rejected, ...); try another.</summary>
internal sealed class ReplicaFailedException(string message, Exception? innerException = null)
    : Exception(message, innerException);
