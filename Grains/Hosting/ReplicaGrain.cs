using System.Diagnostics;
using LockService.Leases;
using LockService.Placement;
using LockService.Protocol;
using LockService.Raft;
using LockService.Replica;
using LockService.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.GrainDirectory;

namespace LockService.Hosting;

/// <summary>
/// One replica of one lock group, keyed <c>"{group}/{replica}"</c>: the Orleans shell of <see cref="ReplicaCore"/>,
/// which makes every decision. The shell activates and restores it from storage, feeds it timer ticks, peer message
/// batches and client requests, and performs the work it hands back: one-way sends, one storage write at a time,
/// completing each client call by its ticket, logs and metrics, moving, and deactivating when it stops.
/// <para>
/// Reentrant on purpose: every input runs synchronously on the grain's single-threaded scheduler, so a slow storage
/// write never blocks the peers' messages or the clients' requests, which meanwhile collect into the next batch.
/// </para>
/// </summary>
[Reentrant]
[ReplicaPlacement]
[GrainDirectory(GrainDirectoryName = ReplicaDirectory.Name)]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class ReplicaGrain(
    LockServiceStorage storage,
    IOptions<LockServiceOptions> options,
    ReplicaMetrics metrics,
    ILogger<ReplicaGrain> logger) : Grain, ILockReplicaGrain, IReplicaPeerGrain, IReplicaHost
{
    private readonly LockServiceOptions _options = options.Value;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();
    private readonly Guid _activationId = Guid.NewGuid();
    private readonly Dictionary<long, TaskCompletionSource<CoreAnswer>> _calls = [];
    private int _group;
    private int _replica;
    private string _key = "";
    private ReplicaStore _store = null!;
    private ReplicaCore _core = null!;
    private IReplicaPeerGrain[] _peers = [];
    private long _nextTicket;
    private int _ticksSinceAddressesWarmed = int.MaxValue / 2;
    private bool _peersAskedToReachBack;

    private TimeSpan Now => Stopwatch.GetElapsedTime(_startTimestamp);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        (_group, _replica) = LockGroups.ParseReplicaKey(_key);
        if (_group < 0 || _replica < 0 || _group >= _options.GroupCount || _replica >= _options.ReplicasPerGroup)
        {
            throw new ArgumentException($"Replica {_key} is outside the topology ({_options.GroupCount} groups of {_options.ReplicasPerGroup}).");
        }

        _peers = Enumerable.Range(0, _options.ReplicasPerGroup)
            .Select(r => GrainFactory.GetGrain<IReplicaPeerGrain>(LockGroups.ReplicaKey(_group, r)))
            .ToArray();

        var loadStarted = Stopwatch.GetTimestamp();
        var (log, snapshots) = storage.ForReplica(_replica);
        var (store, durable) = await StorageOutage.RetryAsync(
            token => ReplicaStore.OpenAsync(log, snapshots, _key, logger, token), token => storage.ProbeAsync(_replica, token), _key, logger, cancellationToken);
        _store = store;
        _core = new ReplicaCore(CoreOptions(_options), RaftConfig(), new Random(Guid.NewGuid().GetHashCode()), CoreStorage.ToPersisted(durable), Now, LeaseIds.NewSessionId);

        this.RegisterGrainTimer(OnTimerAsync, new GrainTimerCreationOptions(_options.TickInterval, _options.TickInterval)
        {
            Interleave = true, // ticks must go on while the grain awaits storage
            KeepAlive = true,
        });

        logger.LogInformation(
            "Replica {ReplicaKey} activated: term {Term}, commit {CommitIndex}, log {FirstIndex}..{LastIndex}, snapshot {SnapshotIndex}, loaded in {LoadMs:F0} ms",
            _key, _core.Raft.Term, _core.Raft.CommitIndex, durable.FirstIndex, durable.LastIndex, durable.SnapshotIndex,
            Stopwatch.GetElapsedTime(loadStarted).TotalMilliseconds);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A draining silo hands leadership to an up-to-date peer first, so clients see no election timeout.
        if (reason.ReasonCode is DeactivationReasonCode.ShuttingDown or DeactivationReasonCode.Migrating)
        {
            Input(() => _core.Deactivating(Now));
        }

        Input(() => _core.Stop($"deactivated ({reason.ReasonCode}: {reason.Description})"));
        return Task.CompletedTask;
    }

    internal static ReplicaCoreOptions CoreOptions(LockServiceOptions options) => new()
    {
        ClockRateBound = options.ClockRateBound,
        MaxPollDuration = options.MaxPollDuration,
        SnapshotEveryEntries = options.SnapshotEveryEntries,
        LeaseLimits = options.ClientLimits.ToLeaseLimits(),
        ClientRequestsPerSecond = options.ClientLimits.RequestsPerClientPerSecond,
        ClientRequestBurst = options.ClientLimits.RequestBurstPerClient,
        SessionOpensPerSecond = options.ClientLimits.SessionOpensPerSecond,
        SessionOpenBurst = options.ClientLimits.SessionOpenBurst,
    };

    private RaftConfig RaftConfig() => new()
    {
        Id = _replica,
        Voters = Enumerable.Range(0, _options.ReplicasPerGroup).ToArray(),
        ElectionTimeoutMinTicks = _options.ElectionTimeoutMinTicks,
        ElectionTimeoutMaxTicks = _options.ElectionTimeoutMaxTicks,
        HeartbeatTicks = _options.HeartbeatTicks,
        CheckQuorumRounds = _options.CheckQuorumRounds,
    };

    private Task OnTimerAsync(CancellationToken cancellationToken)
    {
        Input(() => _core.Tick(Now));
        if (++_ticksSinceAddressesWarmed >= Math.Max(1, (int)(AddressWarmPeriod / _options.TickInterval)))
        {
            _ticksSinceAddressesWarmed = 0;
            WarmPeerAddresses(reachBack: !_peersAskedToReachBack); // the first, at activation: this replica may have moved
            _peersAskedToReachBack = true;
        }

        return Task.CompletedTask;
    }

    /// <summary>How often each replica makes a round trip to every peer (<see cref="WarmPeerAddresses"/>).</summary>
    internal static readonly TimeSpan AddressWarmPeriod = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Followers talk only to their leader, so a silo may never have looked up where its follower's fellow follower
    /// lives, until the leader dies and they must vote. That first lookup goes to the replica directory's owner of
    /// the grain's range; if the owner is the paused leader's silo, it waits until membership declares that silo
    /// dead (3–4 s), and so does the election (seen in the chaos runs: the vote went through 0.1 s after the
    /// declaration). A round trip to every peer now and then keeps each peer's address in this silo's cache, and
    /// current: after a peer moved, the one-way empty batches this used to send reached its old silo, which passed
    /// them on but could not correct the sender, so a silo kept the old address; when that old silo was the one
    /// paused next, votes to the moved replica waited for the death declaration (3.5 s in a chaos run), while a
    /// request comes back with the new address (<see cref="IReplicaPeerGrain.Touch"/>).
    /// </summary>
    private void WarmPeerAddresses(bool reachBack)
    {
        for (var peer = 0; peer < _peers.Length; peer++)
        {
            if (peer != _replica)
            {
                _ = TouchAsync(peer, reachBack);
            }
        }
    }

    private async Task TouchAsync(int peer, bool reachBack)
    {
        try
        {
            await _peers[peer].Touch(_replica, reachBack);
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Replica {ReplicaKey}: address warm-up of replica {Peer} failed", _key, peer);
        }
    }

    public Task Touch(int from, bool reachBack)
    {
        if (reachBack && from >= 0 && from < _peers.Length && from != _replica)
        {
            _ = TouchAsync(from, reachBack: false);
        }

        return Task.CompletedTask;
    }

    public Task Deliver(byte[] batch)
    {
        // Decoded before the core sees it: a batch this build cannot read is dropped (Raft retries what matters),
        // never an exception inside the core, which would stop this replica.
        List<RaftMessage> messages;
        try
        {
            messages = RaftCodec.DecodeMessages(batch);
        }
        catch (InvalidDataException e)
        {
            logger.LogWarning("Replica {ReplicaKey} dropped an undecodable Raft batch of {Bytes} bytes: {Reason}", _key, batch.Length, e.Message);
            return Task.CompletedTask;
        }

        if (messages.Count > 0) // an empty batch (address warm-ups of older builds) carries no message
        {
            Input(() => _core.Receive(messages, Now));
        }

        return Task.CompletedTask;
    }

    public Task<ReplicaStatus> Status() => Task.FromResult(new ReplicaStatus(
        _key,
        _core.RoleLabel,
        _core.Raft.Term,
        _core.Raft.LeaderId ?? -1,
        _core.Raft.CommitIndex,
        _core.AppliedIndex,
        _core.Raft.LastIndex,
        GrainContext.Address.SiloAddress?.ToString() ?? "",
        _core.IsStopped,
        _core.Leases.SessionCount,
        _core.Leases.LockCount,
        _activationId));

    /// <summary>
    /// Runs one input of the core and performs the work it left. An exception inside the core means its state can no
    /// longer be trusted: the activation stops (pending calls answer Unavailable) and a fresh one reloads from storage.
    /// </summary>
    private void Input(Action input)
    {
        try
        {
            input();
        }
        catch (Exception e)
        {
            logger.LogError(e, "Replica {ReplicaKey} failed inside its core; deactivating to reload from storage", _key);
            try
            {
                _core.Stop("core failure: " + e.Message);
            }
            catch (Exception stopFailure)
            {
                logger.LogError(stopFailure, "Replica {ReplicaKey} could not stop its core cleanly", _key);
                FailAllCalls();
            }
        }

        Drain();
    }

    private void Drain() => _core.Outbox.DrainTo(this);

    // The core's work, performed here (IReplicaHost): the outbox decides the order, and what a stop skips.
    bool IReplicaHost.Live => true; // a stopped core only answers Unavailable until Orleans deactivates this activation

    void IReplicaHost.Send(IReadOnlyList<RaftMessage> messages) => Send(messages);

    void IReplicaHost.Reply(long ticket, ReplicaReply reply) => Complete(ticket, new CoreAnswer(reply));

    void IReplicaHost.Forward(ForwardRequest forward) => Complete(forward.Ticket, new CoreAnswer(null, forward.Leader));

    private void Complete(long ticket, CoreAnswer answer)
    {
        if (_calls.Remove(ticket, out var call))
        {
            call.TrySetResult(answer);
        }
    }

    void IReplicaHost.Report(ReplicaEvent replicaEvent) => Report(replicaEvent);

    void IReplicaHost.Stop(string reason)
    {
        FailAllCalls();
        DeactivateOnIdle();
    }

    void IReplicaHost.StartWrite(StorageWrite write) => _ = WriteAsync(write);

    void IReplicaHost.StartVerify(long checkId) => _ = VerifyCurrentAsync(checkId);

    void IReplicaHost.CheckPlacement() => CheckPlacement();

    void IReplicaHost.Move() => Move();

    private async Task WriteAsync(StorageWrite write)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await CoreStorage.PerformAsync(_store, write);
            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.PersistLatency.Record(elapsed.TotalMilliseconds);
            if (elapsed >= _options.SlowStorageThreshold)
            {
                // Every commit of the group waits on this replica's writes when it leads, or may when it follows.
                logger.LogWarning(
                    "Replica {ReplicaKey}: a storage write of {Entries} entries took {ElapsedMs:F0} ms (role {Role})",
                    _key, write.Entries.Length, elapsed.TotalMilliseconds, _core.RoleLabel);
            }
        }
        catch (ReplicaFencedException)
        {
            metrics.Fenced.Add(1, new KeyValuePair<string, object?>("lockservice.replica", _key));
            Input(() => _core.WriteFailed(write.WriteId, fenced: true, "fenced", Now));
            return;
        }
        catch (Exception e)
        {
            // Its outcome is unknown: memory may be ahead of storage.
            logger.LogError(e, "Replica {ReplicaKey} failed to persist; deactivating to reload from storage", _key);
            Input(() => _core.WriteFailed(write.WriteId, fenced: false, e.Message, Now));
            return;
        }

        Input(() => _core.WriteFinished(write.WriteId, Now));
    }

    private async Task VerifyCurrentAsync(long checkId)
    {
        bool? current;
        try
        {
            current = await _store.IsCurrentAsync();
            if (current is false)
            {
                metrics.Fenced.Add(1, new KeyValuePair<string, object?>("lockservice.replica", _key));
            }
        }
        catch (Exception e)
        {
            logger.LogDebug(e, "Replica {ReplicaKey} could not check that it is the current activation; its acknowledgements wait", _key);
            current = null;
        }

        Input(() => _core.CurrentVerified(checkId, current, Now));
    }

    /// <summary>Calls the core could not answer (it failed while stopping): answered Unavailable so no caller hangs.</summary>
    private void FailAllCalls()
    {
        foreach (var call in _calls.Values)
        {
            call.TrySetException(new InvalidOperationException($"Replica {_key} stopped."));
        }

        _calls.Clear();
    }

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }

        foreach (var batch in messages.GroupBy(m => m.To))
        {
            try
            {
                // One-way: completes at once; a lost message is Raft's to retry.
                _ = _peers[batch.Key].Deliver(RaftCodec.EncodeMessages(batch.ToList()));
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Replica {ReplicaKey}: send to replica {Peer} failed", _key, batch.Key);
            }
        }
    }
}
