using LockService.Protocol;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace LockService.Client.Transport;

/// <summary>
/// The Orleans half of the SDK, and all of it: grain calls to the directory and the replicas. Orleans failures that
/// mean "this replica cannot take the call now" (for example <see cref="OrleansMessageRejectionException"/> while a
/// dead silo is being evicted) become <see cref="ReplicaFailedException"/>; the routing is the core's.
/// </summary>
internal sealed class OrleansReplicaChannel(IReplicaResolver resolver, bool forwardToLeader = false) : IReplicaChannel
{
    private OrleansReplicaChannel? _viaFollower;

    /// <summary>Failures of one call to one replica that mean "try another replica" rather than a bug in the request.</summary>
    internal static bool IsReplicaFailure(Exception e) =>
        e is TimeoutException or OrleansMessageRejectionException or GatewayTooBusyException or ClientNotAvailableException
            or ConnectionFailedException or InconsistentStateException
        || (e is OrleansException && e is not OrleansConfigurationException);

    public Task<LockTopology> ReadTopologyAsync() => resolver.Directory().GetTopology();

    public IReplicaChannel ViaFollower => forwardToLeader ? this : _viaFollower ??= new OrleansReplicaChannel(resolver, forwardToLeader: true);

    public Task<SessionReply> OpenSessionAsync(int group, int replica, OpenSessionRequest request) => Call(group, replica, r => r.OpenSession(request));

    public Task<SessionReply> KeepAliveAsync(int group, int replica, KeepAliveRequest request) => Call(group, replica, r => r.KeepAlive(request));

    public Task<SessionReply> CloseSessionAsync(int group, int replica, CloseSessionRequest request) => Call(group, replica, r => r.CloseSession(request));

    public Task<AcquireReply> AcquireAsync(int group, int replica, AcquireRequest request) => Call(group, replica, r => r.Acquire(request));

    public Task<ReleaseReply> ReleaseAsync(int group, int replica, ReleaseRequest request) => Call(group, replica, r => r.Release(request));

    public Task<ReleaseReply> CancelWaitAsync(int group, int replica, CancelWaitRequest request) => Call(group, replica, r => r.CancelWait(request));

    public Task<DescribeReply> DescribeAsync(int group, int replica, string name) => Call(group, replica, r => r.Describe(name));

    public Task<IsCurrentReply> IsCurrentAsync(int group, int replica, string name, FencingToken token) =>
        Call(group, replica, r => r.IsCurrent(name, token));

    private async Task<T> Call<T>(int group, int replica, Func<ILockReplicaGrain, Task<T>> call)
    {
        try
        {
            if (forwardToLeader)
            {
                // Flows with this call only: an async method's changes to the request context end with it.
                RequestContext.Set(ReplicaCallContext.ForwardToLeader, true);
            }

            return await call(resolver.Replica(group, replica)).ConfigureAwait(false);
        }
        catch (Exception e) when (IsReplicaFailure(e))
        {
            throw new ReplicaFailedException($"{e.GetType().Name}: {e.Message}", e);
        }
    }
}
