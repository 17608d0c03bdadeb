using LockService.Client;
using LockService.Client.Transport;
using LockService.Protocol;

namespace LockService.Leases.Tests.Simulation;

/// <summary>
/// The SDK's <see cref="IReplicaChannel"/> in the simulation: each call is a message through the run's lossy network
/// to a simulated replica's client surface (<see cref="LeaseHost"/>), and its reply a message back; the reply
/// completes the call as a step of the client's process. No policy here: which replica, timeouts, probing and
/// retries are the shipped client core's. It only tells the checker what crossed the wire.
/// </summary>
internal sealed class SimReplicaChannel(LeaseWorld world, SimClient client, bool forwardToLeader = false) : IReplicaChannel
{
    private SimReplicaChannel? viaFollower;

    public Task<LockTopology> ReadTopologyAsync() => Task.FromResult(new LockTopology(1, world.Sim.Replicas.Count));

    /// <summary>
    /// The same calls, asking the replica to forward them to the leader if it is not the leader itself (the core
    /// decides, the host passes the call on: see <see cref="LeaseHost"/>), as the Orleans channel sets
    /// <see cref="ReplicaCallContext.ForwardToLeader"/>.
    /// </summary>
    public IReplicaChannel ViaFollower => forwardToLeader ? this : viaFollower ??= new SimReplicaChannel(world, client, forwardToLeader: true);

    /// <summary>The simulated network has no gateways: every call already takes its own path.</summary>
    public IReplicaChannel ViaAnotherGateway => this;

    public Task<SessionReply> OpenSessionAsync(int group, int replica, OpenSessionRequest request)
    {
        var session = client.OnOpenSending(request.Request);
        return Send<SessionReply>(
            "open", replica, session, (host, via, reply) => host.OpenSession(request, via, reply), r => (r.Status, r.LeaderHint), r => client.OnOpenAnswered(session, r));
    }

    public Task<SessionReply> KeepAliveAsync(int group, int replica, KeepAliveRequest request)
    {
        var session = client.SessionOf(request.SessionId);
        return Send<SessionReply>(
            "keepalive", replica, session, (host, via, reply) => host.KeepAlive(request, via, reply), r => (r.Status, r.LeaderHint),
            r => client.OnKeepAliveAnswered(session, r));
    }

    public Task<SessionReply> CloseSessionAsync(int group, int replica, CloseSessionRequest request) =>
        Send<SessionReply>("close", replica, null, (host, via, reply) => host.CloseSession(request, via, reply), r => (r.Status, r.LeaderHint));

    public Task<AcquireReply> AcquireAsync(int group, int replica, AcquireRequest request)
    {
        client.OnSending(request.Request);
        return Send<AcquireReply>("acquire", replica, null, (host, via, reply) => host.Acquire(request, via, reply), r => (r.Status, r.LeaderHint));
    }

    public Task<ReleaseReply> ReleaseAsync(int group, int replica, ReleaseRequest request) =>
        Send<ReleaseReply>("release", replica, null, (host, via, reply) => host.Release(request, via, reply), r => (r.Status, r.LeaderHint));

    public Task<ReleaseReply> CancelWaitAsync(int group, int replica, CancelWaitRequest request) =>
        Send<ReleaseReply>("cancel", replica, null, (host, via, reply) => host.CancelWait(request, via, reply), r => (r.Status, r.LeaderHint));

    public Task<DescribeReply> DescribeAsync(int group, int replica, string name) =>
        Send<DescribeReply>("describe", replica, null, (host, via, reply) => host.Describe(name, via, reply), r => (r.Status, r.LeaderHint));

    public Task<IsCurrentReply> IsCurrentAsync(int group, int replica, string name, FencingToken token) =>
        Send<IsCurrentReply>("is-current", replica, null, (host, via, reply) => host.IsCurrent(name, token, via, reply), r => (r.Status, r.LeaderHint));

    private Task<TReply> Send<TReply>(
        string what, int replica, ClientSession? renews, Action<LeaseHost, Via, Action<TReply>> invoke, Func<TReply, (ReplyStatus Status, int Hint)> statusOf,
        Action<TReply>? observe = null)
    {
        // Continuations run inline, in the process step that delivers the reply: no thread pool.
        client.Process.CheckThread();
        var answer = new TaskCompletionSource<TReply>();
        renews?.OnRenewingSend(world.Sim.NowMicros);
        world.Trace(client, what, forwardToLeader ? $"to r{replica}, forward to the leader" : $"to r{replica}");
        world.SendToReplica(client, replica, renews, host => invoke(host, new Via(forwardToLeader, renews), reply => world.SendToClient(client, () => client.Process.Run(() =>
        {
            world.Trace(client, $"{what} answered {statusOf(reply).Status}", reply);
            client.Process.CheckThread();
            var ok = answer.TrySetResult(reply);
            if (ok)
            {
                observe?.Invoke(reply); // after the SDK has acted on it
            }
        }))));
        return answer.Task;
    }
}
