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
    /// Answers a client call; on a follower asked to (<see cref="ReplicaCallContext.ForwardToLeader"/>), passes a call
    /// it cannot serve on to the leader it knows and answers with the leader's reply. Forwarding decides nothing: the
    /// leader validates and deduplicates the request as if the client had sent it directly.
    /// </summary>
    private async Task<T> Serve<T>(ReplicaRequest request, Func<ReplicaReply, T> toWire, Func<ILockReplicaGrain, Task<T>> forward)
    {
        var forwardAsked = RequestContext.Get(ReplicaCallContext.ForwardToLeader) is not null;
        var reply = await Call(request);
        if (!forwardAsked || reply.Code != ReplyCode.NotLeader || reply.LeaderHint < 0 || reply.LeaderHint == _replica)
        {
            return toWire(reply);
        }

        RequestContext.Remove(ReplicaCallContext.ForwardToLeader); // one hop: the leader answers, it never forwards again
        metrics.Forwarded.Add(1);
        return await forward(GrainFactory.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(_group, reply.LeaderHint)));
    }

    /// <summary>Hands the request to the core with a fresh ticket; the core answers every ticket exactly once.</summary>
    private Task<ReplicaReply> Call(ReplicaRequest request)
    {
        var ticket = ++_nextTicket;
        var call = new TaskCompletionSource<ReplicaReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[ticket] = call;
        var span = ReplicaTracing.StartRequest(request, _key);
        Input(() => _core.Request(ticket, request, Now));
        return span is null ? call.Task : ReplicaTracing.Traced(call.Task, span);
    }
}
