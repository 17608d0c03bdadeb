using LockService.Client;
using LockService.Protocol;
using LockService.Replica;

namespace LockService.Hosting;

/// <summary>The client entry point: each call becomes a core request with a ticket and completes when the core answers it.</summary>
public sealed partial class ReplicaGrain
{
    public async Task<SessionReply> OpenSession(OpenSessionRequest request) =>
        ReplicaWire.ToSessionReply(await Call(ReplicaWire.ToCore(request)));

    /// <summary>Renews a session; answered once the leader's clock tick entry that lists the renewal is applied.</summary>
    public async Task<SessionReply> KeepAlive(KeepAliveRequest request) =>
        ReplicaWire.ToSessionReply(await Call(ReplicaWire.ToCore(request)));

    public async Task<SessionReply> CloseSession(CloseSessionRequest request) =>
        ReplicaWire.ToSessionReply(await Call(ReplicaWire.ToCore(request)));

    public async Task<AcquireReply> Acquire(AcquireRequest request) =>
        ReplicaWire.ToAcquireReply(await Call(ReplicaWire.ToCore(request)));

    public async Task<ReleaseReply> Release(ReleaseRequest request) =>
        ReplicaWire.ToReleaseReply(await Call(ReplicaWire.ToCore(request)));

    public async Task<ReleaseReply> CancelWait(CancelWaitRequest request) =>
        ReplicaWire.ToReleaseReply(await Call(ReplicaWire.ToCore(request)));

    public async Task<DescribeReply> Describe(string name) =>
        ReplicaWire.ToDescribeReply(await Call(new ReplicaRequest.Describe(name)));

    public async Task<IsCurrentReply> IsCurrent(string name, FencingToken token) =>
        ReplicaWire.ToIsCurrentReply(await Call(new ReplicaRequest.IsCurrent(name, token)));

    public async Task<ListReply> List(string prefix, string? after, int limit) =>
        ReplicaWire.ToListReply(await Call(new ReplicaRequest.List(prefix ?? "", after, limit)));

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
