using LockService.Client;
using LockService.Protocol;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;

namespace LockService.Hosting;

/// <summary>
/// Passes a client's call on to a replica (see <see cref="ILockEntryGrain"/>). Reentrant, so a call to a replica
/// that does not answer holds up no other; one activation per silo and key is enough for that. The request context
/// (<see cref="ReplicaCallContext.ForwardToLeader"/>) flows on with the call.
/// </summary>
[StatelessWorker(1)]
[Reentrant]
public sealed class LockEntryGrain(IOptions<LockServiceOptions> options) : Grain, ILockEntryGrain
{
    private readonly LockServiceOptions _options = options.Value;

    public Task Warm() => Task.CompletedTask;

    public Task<SessionReply> OpenSession(int group, int replica, OpenSessionRequest request) => Replica(group, replica).OpenSession(request);

    public Task<SessionReply> KeepAlive(int group, int replica, KeepAliveRequest request) => Replica(group, replica).KeepAlive(request);

    public Task<SessionReply> CloseSession(int group, int replica, CloseSessionRequest request) => Replica(group, replica).CloseSession(request);

    public Task<AcquireReply> Acquire(int group, int replica, AcquireRequest request) => Replica(group, replica).Acquire(request);

    public Task<ReleaseReply> Release(int group, int replica, ReleaseRequest request) => Replica(group, replica).Release(request);

    public Task<ReleaseReply> CancelWait(int group, int replica, CancelWaitRequest request) => Replica(group, replica).CancelWait(request);

    public Task<DescribeReply> Describe(int group, int replica, string name) => Replica(group, replica).Describe(name);

    public Task<IsCurrentReply> IsCurrent(int group, int replica, string name, FencingToken token) => Replica(group, replica).IsCurrent(name, token);

    private ILockReplicaGrain Replica(int group, int replica)
    {
        // Checked here so that a bad index never activates a replica grain outside the topology.
        ArgumentOutOfRangeException.ThrowIfNegative(group);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, _options.GroupCount);
        ArgumentOutOfRangeException.ThrowIfNegative(replica);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(replica, _options.ReplicasPerGroup);
        return GrainFactory.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(group, replica));
    }
}
