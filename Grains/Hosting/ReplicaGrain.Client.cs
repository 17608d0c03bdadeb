using LockService.Client;
using LockService.Protocol;
using LockService.Replica;
using Orleans.Runtime;

namespace LockService.Hosting;

/// <summary>The client entry point: each call becomes a core request with a ticket and completes when the core answers it.</summary>
public sealed partial class ReplicaGrain
{
    public Task<SessionReply> OpenSession(OpenSessionRequest request) =>
        Serve(ReplicaWire.ToCore(request), ReplicaWire.ToSessionReply, leader => leader.OpenSession(request));

    /// <summary>Renews a session; answered once the leader's clock tick entry that lists the renewal is applied.</summary>
    public Task<SessionReply> KeepAlive(KeepAliveRequest request) =>
        Serve(ReplicaWire.ToCore(request), ReplicaWire.ToSessionReply, leader => leader.KeepAlive(request));

    public Task<SessionReply> CloseSession(CloseSessionRequest request) =>
        Serve(ReplicaWire.ToCore(request), ReplicaWire.ToSessionReply, leader => leader.CloseSession(request));

    public Task<AcquireReply> Acquire(AcquireRequest request) =>
        Serve(ReplicaWire.ToCore(request), ReplicaWire.ToAcquireReply, leader => leader.Acquire(request));

    public Task<ReleaseReply> Release(ReleaseRequest request) =>
        Serve(ReplicaWire.ToCore(request), ReplicaWire.ToReleaseReply, leader => leader.Release(request));

    public Task<ReleaseReply> CancelWait(CancelWaitRequest request) =>
        Serve(ReplicaWire.ToCore(request), ReplicaWire.ToReleaseReply, leader => leader.CancelWait(request));

    public Task<DescribeReply> Describe(string name) =>
        Serve(new ReplicaRequest.Describe(name), ReplicaWire.ToDescribeReply, leader => leader.Describe(name));

    public Task<IsCurrentReply> IsCurrent(string name, FencingToken token) =>
        Serve(new ReplicaRequest.IsCurrent(name, token), ReplicaWire.ToIsCurrentReply, leader => leader.IsCurrent(name, token));

    public Task<ListReply> List(string prefix, string? after, int limit) =>
        Serve(new ReplicaRequest.List(prefix ?? "", after, limit), ReplicaWire.ToListReply, leader => leader.List(prefix ?? "", after, limit));

    /// <summary>
    /// Answers a client call with the core's reply, or performs the core's <see cref="ForwardRequest"/>: a call that
    /// asked to be forwarded (<see cref="ReplicaCallContext.ForwardToLeader"/>) and that the core passes on goes to the
    /// leader it names, and the leader's reply comes back as it is.
    /// </summary>
    private async Task<T> Serve<T>(ReplicaRequest request, Func<ReplicaReply, T> toWire, Func<ILockReplicaGrain, Task<T>> forward)
    {
        var answer = await Call(request, forwardToLeader: RequestContext.Get(ReplicaCallContext.ForwardToLeader) is not null);
        if (answer.Reply is { } reply)
        {
            return toWire(reply);
        }

        RequestContext.Remove(ReplicaCallContext.ForwardToLeader); // one hop: the forwarded call is not itself forwarding
        metrics.Forwarded.Add(1);
        return await forward(GrainFactory.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(_group, answer.ForwardTo)));
    }

    /// <summary>Hands the request to the core with a fresh ticket; the core settles every ticket exactly once.</summary>
    private Task<CoreAnswer> Call(ReplicaRequest request, bool forwardToLeader = false)
    {
        var ticket = ++_nextTicket;
        var call = new TaskCompletionSource<CoreAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[ticket] = call;
        var span = ReplicaTracing.StartRequest(request, _key);
        Input(() => _core.Request(ticket, request, Now, forwardToLeader));
        return span is null ? call.Task : ReplicaTracing.Traced(call.Task, span);
    }
}
