using LockService.Protocol;

namespace LockService.Client.Tests.Transport;

/// <summary>A replica grain whose every answer is scripted: a reply, an exception, or no answer at all.</summary>
internal sealed class FakeReplica(string key) : ILockReplicaGrain
{
    public string Key { get; } = key;

    public int Calls { get; private set; }

    /// <summary>Calls that asked this replica to pass them on to its leader (<see cref="ReplicaCallContext.ForwardToLeader"/>).</summary>
    public int ForwardRequests { get; private set; }

    /// <summary>What a call asking to be forwarded does (as a follower that reaches the leader would); null: as any call.</summary>
    public Func<Task<object>>? WhenForwarded { get; set; }

    /// <summary>What the next call does; by default: answer as the leader.</summary>
    public Func<Task<object>> Behaviour { get; set; } = () => Task.FromResult<object>(ReplyStatus.Ok);

    public static Func<Task<object>> NotLeader(int hint) => () => Task.FromResult<object>((ReplyStatus.NotLeader, hint));

    public static Func<Task<object>> Throws(Exception e) => () => Task.FromException<object>(e);

    public static Func<Task<object>> Hangs() => () => new TaskCompletionSource<object>().Task;

    public Task<SessionReply> OpenSession(OpenSessionRequest request) =>
        Answer((s, hint) => new SessionReply(s, s == ReplyStatus.Ok ? Guid.NewGuid() : Guid.Empty, request.TtlMs, hint));

    public Task<SessionReply> KeepAlive(KeepAliveRequest request) => Answer((s, hint) => new SessionReply(s, request.SessionId, 10_000, hint));

    public Task<SessionReply> CloseSession(CloseSessionRequest request) => Answer((s, hint) => new SessionReply(s, request.SessionId, 0, hint));

    public Task<AcquireReply> Acquire(AcquireRequest request) =>
        Answer((s, hint) => new AcquireReply(s == ReplyStatus.Ok ? ReplyStatus.Granted : s, new FencingToken(1, 1), 0, hint));

    public Task<ReleaseReply> Release(ReleaseRequest request) => Answer((s, hint) => new ReleaseReply(s, hint));

    public Task<ReleaseReply> CancelWait(CancelWaitRequest request) => Answer((s, hint) => new ReleaseReply(s, hint));

    public Task<DescribeReply> Describe(string name) => Answer((s, hint) => new DescribeReply(s, name, [], [], hint));

    public Task<IsCurrentReply> IsCurrent(string name, FencingToken token) => Answer((s, hint) => new IsCurrentReply(s, true, hint));

    public Task<ListReply> List(string prefix, string? after, int limit) => Answer((s, hint) => new ListReply(s, [], null, hint));

    public Task<ReplicaState> GetState() => throw new NotSupportedException("The SDK never asks for a replica's state.");

    private async Task<T> Answer<T>(Func<ReplyStatus, int, T> reply)
    {
        Calls++;
        var forward = Orleans.Runtime.RequestContext.Get(ReplicaCallContext.ForwardToLeader) is not null;
        ForwardRequests += forward ? 1 : 0;
        var outcome = await (forward && WhenForwarded is { } forwarded ? forwarded() : Behaviour());
        return outcome switch
        {
            (ReplyStatus status, int hint) => reply(status, hint),
            ReplyStatus status => reply(status, -1),
            _ => throw new InvalidOperationException(),
        };
    }
}

internal sealed class FakeDirectory(Func<Task<LockTopology>> topology) : ILockDirectoryGrain
{
    public Task<LockTopology> GetTopology() => topology();
}

internal sealed class FakeResolver : Client.Transport.IReplicaResolver
{
    public FakeResolver(int groups, int replicasPerGroup)
    {
        Topology = () => Task.FromResult(new LockTopology(groups, replicasPerGroup));
        Replicas = [.. Enumerable.Range(0, groups).Select(g => Enumerable.Range(0, replicasPerGroup).Select(r => new FakeReplica(LockGroups.ReplicaKey(g, r))).ToArray())];
    }

    public Func<Task<LockTopology>> Topology { get; set; }

    public FakeReplica[][] Replicas { get; }

    public ILockDirectoryGrain Directory() => new FakeDirectory(Topology);

    /// <summary>The client's gateway for every replica grain is paused: direct calls hang, calls through entries pass.</summary>
    public bool DirectPathPaused { get; set; }

    /// <summary>The entry keys called, in order.</summary>
    public List<long> EntryKeys { get; } = [];

    /// <summary>Replicas whose grain the client reaches through a paused gateway: direct calls hang, calls through entries pass.</summary>
    public HashSet<(int Group, int Replica)> DirectPathPausedTo { get; } = [];

    public ILockReplicaGrain Replica(int group, int replica) =>
        DirectPathPaused || DirectPathPausedTo.Contains((group, replica)) ? new FakeReplica("paused") { Behaviour = FakeReplica.Hangs() } : Replicas[group][replica];

    public ILockEntryGrain Entry(long key)
    {
        EntryKeys.Add(key);
        return new FakeEntry(this);
    }
}

/// <summary>An entry grain: passes each call on to the replica it names.</summary>
internal sealed class FakeEntry(FakeResolver resolver) : ILockEntryGrain
{
    public Task Warm() => Task.CompletedTask;

    public Task<SessionReply> OpenSession(int group, int replica, OpenSessionRequest request) => resolver.Replicas[group][replica].OpenSession(request);

    public Task<SessionReply> KeepAlive(int group, int replica, KeepAliveRequest request) => resolver.Replicas[group][replica].KeepAlive(request);

    public Task<SessionReply> CloseSession(int group, int replica, CloseSessionRequest request) => resolver.Replicas[group][replica].CloseSession(request);

    public Task<AcquireReply> Acquire(int group, int replica, AcquireRequest request) => resolver.Replicas[group][replica].Acquire(request);

    public Task<ReleaseReply> Release(int group, int replica, ReleaseRequest request) => resolver.Replicas[group][replica].Release(request);

    public Task<ReleaseReply> CancelWait(int group, int replica, CancelWaitRequest request) => resolver.Replicas[group][replica].CancelWait(request);

    public Task<DescribeReply> Describe(int group, int replica, string name) => resolver.Replicas[group][replica].Describe(name);

    public Task<IsCurrentReply> IsCurrent(int group, int replica, string name, FencingToken token) => resolver.Replicas[group][replica].IsCurrent(name, token);
}
