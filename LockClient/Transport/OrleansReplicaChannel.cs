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
internal sealed class OrleansReplicaChannel(IReplicaResolver resolver, bool forwardToLeader = false, EntryKeys? entries = null) : IReplicaChannel
{
    private OrleansReplicaChannel? _viaFollower;
    private OrleansReplicaChannel? _viaAnotherGateway;

    /// <summary>Failures of one call to one replica that mean "try another replica" rather than a bug in the request.</summary>
    internal static bool IsReplicaFailure(Exception e) =>
        e is TimeoutException or OrleansMessageRejectionException or GatewayTooBusyException or ClientNotAvailableException
            or ConnectionFailedException or InconsistentStateException
        || (e is OrleansException && e is not OrleansConfigurationException);

    public Task<LockTopology> ReadTopologyAsync() => resolver.Directory().GetTopology();

    public IReplicaChannel ViaFollower => forwardToLeader ? this : _viaFollower ??= new OrleansReplicaChannel(resolver, forwardToLeader: true, entries);

    public IReplicaChannel ViaAnotherGateway => entries is not null ? this : _viaAnotherGateway ??= new OrleansReplicaChannel(resolver, forwardToLeader, new EntryKeys(TimeProvider.System));

    public Task<SessionReply> OpenSessionAsync(int group, int replica, OpenSessionRequest request) =>
        Call(r => r.OpenSession(request), e => e.OpenSession(group, replica, request), group, replica);

    public Task<SessionReply> KeepAliveAsync(int group, int replica, KeepAliveRequest request) =>
        Call(r => r.KeepAlive(request), e => e.KeepAlive(group, replica, request), group, replica);

    public Task<SessionReply> CloseSessionAsync(int group, int replica, CloseSessionRequest request) =>
        Call(r => r.CloseSession(request), e => e.CloseSession(group, replica, request), group, replica);

    public Task<AcquireReply> AcquireAsync(int group, int replica, AcquireRequest request) =>
        Call(r => r.Acquire(request), e => e.Acquire(group, replica, request), group, replica);

    public Task<ReleaseReply> ReleaseAsync(int group, int replica, ReleaseRequest request) =>
        Call(r => r.Release(request), e => e.Release(group, replica, request), group, replica);

    public Task<ReleaseReply> CancelWaitAsync(int group, int replica, CancelWaitRequest request) =>
        Call(r => r.CancelWait(request), e => e.CancelWait(group, replica, request), group, replica);

    public Task<DescribeReply> DescribeAsync(int group, int replica, string name) =>
        Call(r => r.Describe(name), e => e.Describe(group, replica, name), group, replica);

    public Task<IsCurrentReply> IsCurrentAsync(int group, int replica, string name, FencingToken token) =>
        Call(r => r.IsCurrent(name, token), e => e.IsCurrent(group, replica, name, token), group, replica);

    private async Task<T> Call<T>(Func<ILockReplicaGrain, Task<T>> direct, Func<ILockEntryGrain, Task<T>> viaEntry, int group, int replica)
    {
        try
        {
            if (forwardToLeader)
            {
                // Flows with this call only: an async method's changes to the request context end with it.
                RequestContext.Set(ReplicaCallContext.ForwardToLeader, true);
            }

            if (entries is null)
            {
                return await direct(resolver.Replica(group, replica)).ConfigureAwait(false);
            }

            return await ThroughEntry(viaEntry, entries).ConfigureAwait(false);
        }
        catch (Exception e) when (IsReplicaFailure(e))
        {
            throw new ReplicaFailedException($"{e.GetType().Name}: {e.Message}", e);
        }
    }

    private async Task<T> ThroughEntry<T>(Func<ILockEntryGrain, Task<T>> viaEntry, EntryKeys keys)
    {
        var key = keys.Take();
        try
        {
            var reply = await viaEntry(resolver.Entry(key)).ConfigureAwait(false);
            keys.Answered(key);
            return reply;
        }
        catch (TimeoutException)
        {
            keys.Unanswered(key);
            throw;
        }
        catch
        {
            keys.Answered(key);
            throw;
        }
    }
}

