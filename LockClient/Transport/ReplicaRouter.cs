using LockService.Client.Diagnostics;
using LockService.Protocol;
using Microsoft.Extensions.Logging;

namespace LockService.Client.Transport;

/// <summary>
/// Delivers protocol calls to each group's leader over any <see cref="IReplicaChannel"/>: caches the topology and
/// the last known leader per group, follows NotLeader hints, and moves to the next replica when a call fails or
/// stays unanswered for <see cref="LockClientOptions.CallTimeout"/>, probing the other replicas while the leader is
/// silent. One sweep visits at most two rounds of the group's replicas; after that it answers
/// <see cref="ReplyStatus.Unavailable"/> and the retry layer above backs off. Pure policy on a
/// <see cref="TimeProvider"/>: the Orleans grain calls are the channel's (<see cref="OrleansReplicaChannel"/>).
/// </summary>
internal sealed class ReplicaRouter(IReplicaChannel channel, LockClientOptions options, TimeProvider time, ILogger logger)
    : ILockServiceTransport
{
    private readonly object _gate = new();
    private LockTopology? _topology;
    private int[] _leaders = [];
    private long _directSuspectUntil = long.MinValue;
    private long _hedgeUntil = long.MinValue;

    /// <summary>
    /// How long, after a replica went silent and another was found to lead, every call also goes through another
    /// gateway at once: the silent replica's silo may be this client's gateway for the new leader's grain too, and
    /// until membership declares it dead, nothing else tells (a call's silence could be a held poll).
    /// </summary>
    internal static readonly TimeSpan HedgeFor = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long calls avoid the direct path after it failed while the replica itself was heard from: longer than it
    /// takes membership to declare a stuck gateway silo dead and the client to drop it.
    /// </summary>
    internal static readonly TimeSpan DirectSuspectFor = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The channel for first calls: direct, unless the direct path lately failed a replica that its peers still heard
    /// from (the client's gateway for that replica's grain is stuck, see <see cref="IReplicaChannel.ViaAnotherGateway"/>).
    /// </summary>
    private IReplicaChannel FirstChannel => Interlocked.Read(ref _directSuspectUntil) > time.GetTimestamp() ? channel.ViaAnotherGateway : channel;

    private void SuspectDirectPath(int group, int replica, string evidence)
    {
        var until = time.GetTimestamp() + (long)(DirectSuspectFor.TotalSeconds * time.TimestampFrequency);
        if (Interlocked.Exchange(ref _directSuspectUntil, until) <= time.GetTimestamp())
        {
            Log.DirectPathSuspect(logger, LockGroups.ReplicaKey(group, replica), evidence, DirectSuspectFor.TotalSeconds);
        }
    }

    private void HedgeForAWhile() =>
        Interlocked.Exchange(ref _hedgeUntil, time.GetTimestamp() + (long)(HedgeFor.TotalSeconds * time.TimestampFrequency));

    public async ValueTask<int> GetGroupAsync(string name, CancellationToken cancellationToken)
    {
        var topology = await GetTopologyAsync(cancellationToken).ConfigureAwait(false);
        return LockGroups.GroupOf(name, topology.GroupCount);
    }

    public Task<SessionReply> OpenSessionAsync(int group, OpenSessionRequest request, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.OpenSessionAsync(group, r, request), options.CallTimeout, m => new SessionReply(ReplyStatus.Unavailable, Guid.Empty, 0, Message: m), cancellationToken);

    public Task<SessionReply> KeepAliveAsync(int group, KeepAliveRequest request, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.KeepAliveAsync(group, r, request), options.CallTimeout, m => new SessionReply(ReplyStatus.Unavailable, request.SessionId, 0, Message: m), cancellationToken);

    public Task<SessionReply> CloseSessionAsync(int group, CloseSessionRequest request, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.CloseSessionAsync(group, r, request), options.CallTimeout, m => new SessionReply(ReplyStatus.Unavailable, request.SessionId, 0, Message: m), cancellationToken);

    public Task<AcquireReply> AcquireAsync(int group, AcquireRequest request, CancellationToken cancellationToken) =>
        SendAsync(
            group, (c, r) => c.AcquireAsync(group, r, request), options.CallTimeout + TimeSpan.FromMilliseconds(request.WaitMs > 0 ? request.PollMs : 0),
            m => new AcquireReply(ReplyStatus.Unavailable, default, 0, Message: m), cancellationToken);

    public Task<ReleaseReply> ReleaseAsync(int group, ReleaseRequest request, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.ReleaseAsync(group, r, request), options.CallTimeout, m => new ReleaseReply(ReplyStatus.Unavailable, Message: m), cancellationToken);

    public Task<ReleaseReply> CancelWaitAsync(int group, CancelWaitRequest request, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.CancelWaitAsync(group, r, request), options.CallTimeout, m => new ReleaseReply(ReplyStatus.Unavailable, Message: m), cancellationToken);

    public Task<DescribeReply> DescribeAsync(int group, string name, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.DescribeAsync(group, r, name), options.CallTimeout, m => new DescribeReply(ReplyStatus.Unavailable, name, [], [], Message: m), cancellationToken);

    public Task<IsCurrentReply> IsCurrentAsync(int group, string name, FencingToken token, CancellationToken cancellationToken) =>
        SendAsync(group, (c, r) => c.IsCurrentAsync(group, r, name, token), options.CallTimeout, m => new IsCurrentReply(ReplyStatus.Unavailable, false, Message: m), cancellationToken);

    /// <summary>The replica this transport will try first for a group (its last known leader).</summary>
    internal int LeaderGuess(int group)
    {
        lock (_gate)
        {
            return group < _leaders.Length ? _leaders[group] : 0;
        }
    }

    private async Task<LockTopology> GetTopologyAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_topology is { } known)
            {
                return known;
            }
        }

        LockTopology topology;
        try
        {
            topology = await channel.ReadTopologyAsync().WithTimeout(options.CallTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TransientTransportException($"The lock directory could not be read: {e.GetType().Name}: {e.Message}", e);
        }

        if (topology.GroupCount < 1 || topology.ReplicasPerGroup < 1)
        {
            throw new TransientTransportException($"The lock directory answered an invalid topology {topology}.");
        }

        lock (_gate)
        {
            if (_topology is null)
            {
                _topology = topology;
                _leaders = new int[topology.GroupCount];
            }

            return _topology;
        }
    }

    private async Task<T> SendAsync<T>(
        int group, Func<IReplicaChannel, int, Task<T>> call, TimeSpan callTimeout, Func<string, T> unavailable, CancellationToken cancellationToken)
        where T : class
    {
        LockTopology topology;
        try
        {
            topology = await GetTopologyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TransientTransportException e)
        {
            return unavailable(e.Message);
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(group, topology.GroupCount);
        var replicas = topology.ReplicasPerGroup;
        var replica = LeaderGuess(group);
        var lastFailure = "no replica answered as leader";
        for (var attempt = 0; attempt < 2 * replicas; attempt++)
        {
            T reply;
            try
            {
                var answer = await CallWithProbesAsync(group, replica, replicas, call, callTimeout, cancellationToken).ConfigureAwait(false);
                if (answer.Reply is null)
                {
                    lastFailure = $"replica {LockGroups.ReplicaKey(group, replica)} did not answer; replica {answer.Replica} is said to lead";
                    replica = answer.Replica;
                    HedgeForAWhile();
                    continue;
                }

                reply = answer.Reply;
                if (answer.Replica != replica)
                {
                    HedgeForAWhile(); // a probed replica answered while the one called stayed silent: a failover
                }

                replica = answer.Replica;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                var key = LockGroups.ReplicaKey(group, replica);
                lastFailure = $"replica {key} failed: {e.GetType().Name}: {e.Message}";
                if (e is TimeoutException)
                {
                    SuspectDirectPath(group, replica, "no answer within the call timeout");
                    HedgeForAWhile();
                }

                if (e is TimeoutException or ReplicaFailedException)
                {
                    Log.ReplicaFailed(logger, key, e.GetType().Name);
                }
                else
                {
                    Log.ReplicaFailedUnexpectedly(logger, e, key);
                }

                replica = (replica + 1) % replicas;
                continue;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The caller cancelled while this replica was failing (e.g. its call timed out as the token fired,
                // on another thread): the caller sees its cancellation, not a replica's failure.
                throw new OperationCanceledException(cancellationToken);
            }

            var (status, hint) = StatusAndHint(reply);
            if (status == ReplyStatus.NotLeader)
            {
                lastFailure = $"replica {LockGroups.ReplicaKey(group, replica)} is not the leader";
                replica = hint >= 0 && hint < replicas && hint != replica ? hint : (replica + 1) % replicas;
                continue;
            }

            lock (_gate)
            {
                _leaders[group] = replica;
            }

            return reply;
        }

        return unavailable(lastFailure);
    }

    /// <summary>
    /// Calls <paramref name="replica"/>, and while it stays silent, asks the other replicas the same request (same
    /// request id, so it takes effect at most once): first after a quarter of <see cref="LockClientOptions.CallTimeout"/>,
    /// then every eighth, since an election is likely under way. A follower answers NotLeader at once, with the new
    /// leader once one is elected. A leader that died with the call in flight never answers (Orleans does not fail a
    /// request forwarded to a silo that then dies), so this is what bounds a failover to the election rather than to
    /// the call timeout. A follower that names the silent replica itself as leader (it has heard from it lately, so
    /// the path from this client to it is what is broken) is asked to forward the request to it
    /// (<see cref="IReplicaChannel.ViaFollower"/>); that forwarded call races the first one while the probes go on, so
    /// a leader paused just after the follower heard from it costs no more than a probe period. A wait poll the leader
    /// holds (<paramref name="callTimeout"/> beyond <see cref="LockClientOptions.CallTimeout"/>) is expected to stay
    /// silent: once a follower vouches for its leader, the next probe waits a quarter of the call timeout again, about a
    /// follower's election timeout, before which no follower names anyone new. A probe that outlives its probe period is
    /// listened to until the call ends: a new leader holds a wait poll too, and answers the one it holds when it grants.
    /// </summary>
    /// <remarks>
    /// Within <see cref="HedgeFor"/> of a failover (a replica went silent and another was found to lead), the same call
    /// goes through another gateway at once as well, and the
    /// first answer wins. A silent silo is often also the client's gateway for the new leader's grain (Orleans binds
    /// each grain to one gateway), and this leader was just elected, so no follower would vouch for it before a probe
    /// period is gone.
    /// </remarks>
    /// <returns>The reply and the replica that gave it; or no reply and the replica said to lead now.</returns>
    /// <exception cref="TimeoutException">Nobody answered within <paramref name="callTimeout"/>.</exception>
    private async Task<(T? Reply, int Replica)> CallWithProbesAsync<T>(
        int group, int replica, int replicas, Func<IReplicaChannel, int, Task<T>> call, TimeSpan callTimeout, CancellationToken cancellationToken)
        where T : class
    {
        var first = FirstChannel;
        var direct = call(first, replica);
        var hedged = time.GetTimestamp() < Interlocked.Read(ref _hedgeUntil);
        var primary = hedged && replicas > 1 && !ReferenceEquals(first, channel.ViaAnotherGateway)
            ? TimeProviderTasks.FirstSucceeded(direct, call(channel.ViaAnotherGateway, replica))
            : direct;
        Task<T>? forwarded = null;

        // The first answer as leader from a forward or from a probe that outlived its probe period. A new leader holds
        // a wait poll like any other, so a probe that reached it looks silent; when it then grants the lock, that probe
        // is the call it answers, and dropping it left the lock granted to a waiter that did not know (1.4 s in one
        // chaos run) until a later call came by.
        var accepted = new TaskCompletionSource<(T Reply, int Replica)>(); // synchronous continuations: the simulator runs this code on one thread
        Task<T>? acceptedReply = null;
        void Accept(Task<T> alternative, int from)
        {
            acceptedReply ??= accepted.Task.ContinueWith(
                static t => t.Result.Reply, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            alternative.ContinueWith(
                t =>
                {
                    if (t.IsCompletedSuccessfully && StatusAndHint(t.Result).Status != ReplyStatus.NotLeader)
                    {
                        accepted.TrySetResult((t.Result, from));
                    }
                    else
                    {
                        _ = t.Exception; // observed: a failed alternative is no news
                    }
                },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        var started = time.GetTimestamp();
        var deadline = started + (long)(callTimeout.TotalSeconds * time.TimestampFrequency);

        // Silence past this, while a peer still hears the replica, means the path to it is broken. A wait poll is held
        // by the leader for up to its poll interval, and a commit on a busy machine can take a few hundred ms.
        var heldFor = callTimeout - options.CallTimeout;
        var pathBrokenAfter = heldFor + options.CallTimeout / 2;
        var probeDelay = options.CallTimeout / 4;
        var probeTarget = replica;
        while (true)
        {
            var remaining = time.GetElapsedTime(time.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Replica {LockGroups.ReplicaKey(group, replica)} did not answer within {callTimeout}.");
            }

            var answer = acceptedReply is null ? primary : TimeProviderTasks.PrimaryOrAccepted(primary, acceptedReply, static _ => true);
            try
            {
                var reply = await answer.WithTimeout(remaining < probeDelay ? remaining : probeDelay, time, cancellationToken).ConfigureAwait(false);
                var from = accepted.Task.IsCompletedSuccessfully && ReferenceEquals(accepted.Task.Result.Reply, reply) ? accepted.Task.Result.Replica : replica;
                if (from == replica && !direct.IsCompleted && time.GetElapsedTime(started) > pathBrokenAfter)
                {
                    // The replica answered through a follower while the direct call still hangs: the path is broken.
                    SuspectDirectPath(group, replica, "it answered through a follower");
                }

                return (reply, from);
            }
            catch (TimeoutException) when (!answer.IsCompleted)
            {
            }

            if (forwarded is { IsCompleted: true })
            {
                forwarded = null; // it came back NotLeader or failed: a later probe may start another
            }

            if (replicas == 1)
            {
                continue;
            }

            probeTarget = (probeTarget + 1) % replicas == replica ? (probeTarget + 2) % replicas : (probeTarget + 1) % replicas;
            var vouched = false;
            Task<T>? probing = null;
            try
            {
                // Not through the gateway the silent call took: that silo may be the one paused (see ViaAnotherGateway).
                probing = call(channel.ViaAnotherGateway, probeTarget);
                var probe = await probing.WithTimeout(probeDelay, time, cancellationToken).ConfigureAwait(false);
                var (status, hint) = StatusAndHint(probe);
                Log.Probed(logger, LockGroups.ReplicaKey(group, replica), LockGroups.ReplicaKey(group, probeTarget), status, hint);
                if (status != ReplyStatus.NotLeader)
                {
                    return (probe, probeTarget); // the probed replica leads now and has answered the request itself
                }

                if (hint >= 0 && hint < replicas && hint != replica)
                {
                    return (null, hint);
                }

                vouched = hint == replica;
                if (vouched && time.GetElapsedTime(started) > pathBrokenAfter)
                {
                    SuspectDirectPath(group, replica, $"replica {LockGroups.ReplicaKey(group, probeTarget)} still hears it");
                }

                if (vouched && forwarded is null)
                {
                    // Orleans sends every call to one grain through one gateway, and that silo may be paused or cut
                    // off while the leader is fine; the follower reaches the leader silo to silo.
                    Log.AskedToForward(logger, LockGroups.ReplicaKey(group, probeTarget), LockGroups.ReplicaKey(group, replica));
                    forwarded = call(channel.ViaAnotherGateway.ViaFollower, probeTarget);
                    Accept(forwarded, replica); // answered by the silent replica, through the follower
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is TimeoutException or ReplicaFailedException)
            {
                // No news from this replica yet; keep waiting for the first one (and for this probe: see Accept), and
                // probe another.
                if (probing is { IsCompleted: false })
                {
                    Accept(probing, probeTarget);
                }
            }

            // Probes of a held poll that a follower just vouched for cost a request on a follower each and find nothing
            // new (with 64 waiters: ~500 probes a second against ~90 hand-offs).
            probeDelay = vouched && time.GetElapsedTime(started) < heldFor ? options.CallTimeout / 4 : options.CallTimeout / 8;
        }
    }

    private static (ReplyStatus Status, int LeaderHint) StatusAndHint(object reply) => reply switch
    {
        SessionReply r => (r.Status, r.LeaderHint),
        AcquireReply r => (r.Status, r.LeaderHint),
        ReleaseReply r => (r.Status, r.LeaderHint),
        DescribeReply r => (r.Status, r.LeaderHint),
        IsCurrentReply r => (r.Status, r.LeaderHint),
        _ => throw new ArgumentException($"Unknown reply type {reply.GetType()}.", nameof(reply)),
    };
}
