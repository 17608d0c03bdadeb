namespace LockService.Raft;

/// <summary>
/// One Raft replica as a pure state machine (in the shape of etcd-io/raft): inputs are <see cref="Tick"/>,
/// <see cref="Step"/>, <see cref="Propose(ReadOnlyMemory{byte})"/>, <see cref="ReadIndex"/>,
/// <see cref="TransferLeadership"/> and <see cref="Compact"/>; outputs are collected into a <see cref="Ready"/>
/// that the host persists, sends and applies before calling <see cref="Advance"/>. No clock, no threads, no I/O:
/// time is ticks, and randomness comes from the <see cref="Random"/> the host passes in. Not thread-safe.
/// <para>This file holds the inputs, the term rules shared by all roles (paper §5.1) and the Ready cycle;
/// the partial files next to it hold elections, replication, snapshots, reads and leadership transfer.</para>
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftConfig config;
    private readonly Random random;
    private readonly RaftLog log;
    private readonly Progress[] progress;
    private readonly int quorum;

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    private bool quickFirstTimeout;

    private List<RaftMessage>? messagesBeforePersist;
    private List<RaftMessage>? messagesAfterPersist;
    private HardState lastHardState;
    private SoftState lastSoftState;
    private Ready? outstanding;

    /// <summary>A fresh replica with an empty log.</summary>
    public RaftNode(RaftConfig config, Random random)
        : this(config, random, PersistedState.Empty)
    {
    }

    private RaftNode(RaftConfig config, Random random, PersistedState state)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(state);
        config.Validate();
        this.config = config;
        this.random = random;
        log = new RaftLog(state.Snapshot, state.Entries, state.HardState.Commit);
        if (log.LastTerm > state.HardState.Term)
        {
            throw new ArgumentException(
                $"Persisted log ends in term {log.LastTerm}, beyond the persisted term {state.HardState.Term}.", nameof(state));
        }

        if (state.HardState.VotedFor is { } vote && (vote < 0 || vote >= config.Voters.Count))
        {
            throw new ArgumentException($"Persisted vote for {vote} is not a voter.", nameof(state));
        }

        progress = new Progress[config.Voters.Count];
        for (var i = 0; i < progress.Length; i++)
        {
            progress[i] = new Progress(config.MaxInflightAppends);
        }

        votes = new sbyte[progress.Length];
        quorum = Quorum.Size(progress.Length);
        Term = state.HardState.Term;
        VotedFor = state.HardState.VotedFor;
        BecomeFollower(Term, null);
        if (config.QuickFirstElection && config.PreVote)
        {
            randomizedElectionTimeout = random.Next(config.HeartbeatTicks + 1, config.ElectionTimeoutMinTicks);
            quickFirstTimeout = true;
        }

        lastHardState = HardState;
        lastSoftState = SoftState;
    }

    /// <summary>A replica rebuilt from exactly what it persisted: hard state, snapshot, and the entries after it.</summary>
    public static RaftNode Restart(RaftConfig config, Random random, PersistedState state) => new(config, random, state);

    public int Id => config.Id;

    public RaftConfig Config => config;

    public RaftRole Role { get; private set; }

    public long Term { get; private set; }

    public int? VotedFor { get; private set; }

    /// <summary>The leader of the current term as far as this replica knows, if any.</summary>
    public int? LeaderId { get; private set; }

    public long CommitIndex => log.Committed;

    /// <summary>
    /// Whether this replica leads, or has heard from its leader within half the minimum election timeout. A leader
    /// silent for longer is likely paused, dead or cut off: not one to send clients to, though no election has
    /// started yet.
    /// </summary>
    public bool HearsFromLeader =>
        Role == RaftRole.Leader
        || (LeaderId is not null && electionElapsed < Math.Max(config.HeartbeatTicks + 1, config.ElectionTimeoutMinTicks / 2));

    public long LastIndex => log.LastIndex;

    public long LastTerm => log.LastTerm;

    /// <summary>Highest index the host reported applied through <see cref="Advance"/>.</summary>
    public long AppliedIndex => log.Applied;

    public long SnapshotIndex => log.SnapshotIndex;

    /// <summary>The follower a leader is handing leadership to, while it does.</summary>
    public int? LeadTransferee { get; private set; }

    public HardState HardState => new(Term, VotedFor, log.Committed);

    public SoftState SoftState => new(Role, LeaderId, Term);

    internal RaftLog Log => log;

    /// <summary>Whether <see cref="GetReady"/> has something; false while a Ready awaits <see cref="Advance"/>.</summary>
    public bool HasReady =>
        outstanding is null
        && (appendsPending
            || readRoundPending
            || messagesBeforePersist is not null
            || messagesAfterPersist is not null
            || readStates is not null
            || log.HasEntriesToPersist
            || log.HasCommittedToApply
            || log.HasUnstableSnapshot
            || HardState != lastHardState
            || SoftState != lastSoftState);

    /// <summary>One logical clock tick: drives election timeouts, heartbeats and check-quorum.</summary>
    public void Tick()
    {
        if (Role == RaftRole.Leader)
        {
            TickLeader();
        }
        else
        {
            TickElection();
        }
    }

    /// <summary>Takes a message from another replica of the group.</summary>
    public void Step(RaftMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.To != Id)
        {
            throw new ArgumentException($"Message for replica {message.To} stepped into replica {Id}: {message}", nameof(message));
        }

        if (message.From == Id || message.From < 0 || message.From >= progress.Length)
        {
            throw new ArgumentException($"Message from {message.From} is not from another voter: {message}", nameof(message));
        }

        if (message.Term > Term)
        {
            if (!OnNewerTerm(message))
            {
                return;
            }
        }
        else if (message.Term < Term)
        {
            OnOlderTerm(message);
            return;
        }

        if (message is RequestVote request)
        {
            HandleVoteRequest(request);
            return;
        }

        switch (Role)
        {
            case RaftRole.Leader:
                StepLeader(message);
                break;
            case RaftRole.Candidate or RaftRole.PreCandidate:
                StepCandidate(message);
                break;
            default:
                StepFollower(message);
                break;
        }
    }

    /// <summary>The outputs collected since the last Ready. Call <see cref="Advance"/> with it before the next one.</summary>
    public Ready GetReady()
    {
        if (outstanding is not null)
        {
            throw new InvalidOperationException("GetReady was called again before Advance acknowledged the previous Ready.");
        }

        FlushPendingBroadcasts();
        var hardState = HardState;
        var softState = SoftState;
        var ready = new Ready
        {
            SoftState = softState != lastSoftState ? softState : null,
            HardState = hardState != lastHardState ? hardState : null,
            Snapshot = log.TakeUnstableSnapshot(),
            EntriesToPersist = log.TakeEntriesToPersist(),
            MessagesBeforePersist = (IReadOnlyList<RaftMessage>?)messagesBeforePersist ?? [],
            MessagesAfterPersist = (IReadOnlyList<RaftMessage>?)messagesAfterPersist ?? [],
            CommittedEntries = log.TakeCommittedToApply(),
            ReadStates = (IReadOnlyList<ReadState>?)readStates ?? [],
        };
        messagesBeforePersist = null;
        messagesAfterPersist = null;
        readStates = null;
        lastHardState = hardState;
        lastSoftState = softState;
        outstanding = ready;
        return ready;
    }

    /// <summary>
    /// The host persisted, sent and applied <paramref name="ready"/>. A leader now counts its own durable entries
    /// towards a majority, which may commit more.
    /// </summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!ReferenceEquals(ready, outstanding))
        {
            throw new InvalidOperationException("Advance takes the Ready returned by the last GetReady, once.");
        }

        outstanding = null;
        if (ready.Snapshot is { } snapshot)
        {
            log.SnapshotPersisted(snapshot);
        }

        if (!ready.EntriesToPersist.IsEmpty)
        {
            var last = ready.EntriesToPersist.Span[^1];
            log.PersistedTo(last.Index, last.Term);
        }

        if (!ready.CommittedEntries.IsEmpty)
        {
            log.AppliedTo(ready.CommittedEntries.Span[^1].Index);
        }

        if (Role == RaftRole.Leader && MaybeCommit())
        {
            BroadcastAppend(sendIfEmpty: true);
        }
    }

    /// <summary>The term at <paramref name="index"/> if this replica still holds it (tests and simulation checks).</summary>
    internal bool TryGetTerm(long index, out long term) => log.TryGetTerm(index, out term);

    /// <summary>A message with a newer term: adopt the term and follow (§5.1), except where pre-vote says not to.</summary>
    private bool OnNewerTerm(RaftMessage message)
    {
        if (message is RequestVote request)
        {
            // Leader stickiness (dissertation §4.2.3): while we hear from a leader, a vote request is from a node that
            // was cut off; ignore it rather than depose a healthy leader. A transfer the leader asked for is honoured.
            var inLease = config.CheckQuorum && LeaderId is not null && electionElapsed < config.ElectionTimeoutMinTicks;
            if (inLease && !request.Transfer)
            {
                return false;
            }

            if (request.PreVote)
            {
                return true;
            }
        }

        if (message is VoteResponse { PreVote: true, Granted: true })
        {
            // A granted pre-vote carries the term we would campaign in, not a term anyone is in.
            return true;
        }

        BecomeFollower(message.Term, message is AppendEntries or Heartbeat or InstallSnapshot ? message.From : null);
        return true;
    }

    /// <summary>A message from an older term: drop it, but tell a stale leader or pre-candidate about our term.</summary>
    private void OnOlderTerm(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries or Heartbeat or InstallSnapshot:
                // A leader cut off by a partition learns the newer term from this answer and steps down.
                Send(new HeartbeatResponse(Id, message.From, Term, 0));
                break;
            case RequestVote { PreVote: true }:
                Send(new VoteResponse(Id, message.From, Term, PreVote: true, Granted: false));
                break;
        }
    }

    private void StepFollower(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries append:
                HeardFromLeader(append.From);
                HandleAppendEntries(append);
                break;
            case Heartbeat heartbeat:
                HeardFromLeader(heartbeat.From);
                HandleHeartbeat(heartbeat);
                break;
            case InstallSnapshot chunk:
                HeardFromLeader(chunk.From);
                HandleInstallSnapshot(chunk);
                break;
            case TimeoutNow:
                Campaign(CampaignKind.Transfer);
                break;
        }
    }

    private void StepCandidate(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries append:
                BecomeFollower(Term, append.From);
                HandleAppendEntries(append);
                break;
            case Heartbeat heartbeat:
                BecomeFollower(Term, heartbeat.From);
                HandleHeartbeat(heartbeat);
                break;
            case InstallSnapshot chunk:
                BecomeFollower(Term, chunk.From);
                HandleInstallSnapshot(chunk);
                break;
            case VoteResponse response:
                HandleVoteResponse(response);
                break;
        }
    }

    private void StepLeader(RaftMessage message)
    {
        switch (message)
        {
            case AppendResponse response:
                HandleAppendResponse(response);
                break;
            case HeartbeatResponse response:
                HandleHeartbeatResponse(response);
                break;
            case SnapshotResponse response:
                HandleSnapshotResponse(response);
                break;
            case AppendEntries or Heartbeat or InstallSnapshot:
                throw new InvalidOperationException($"Raft: two leaders in term {Term}: {Id} received {message}.");
        }
    }

    /// <summary>
    /// Queues an outgoing message. A leader's replication traffic may leave before its own write is durable; every
    /// other message (votes, acknowledgements) promises something the host must persist first.
    /// </summary>
    private void Send(RaftMessage message)
    {
        if (Role == RaftRole.Leader && message is AppendEntries or Heartbeat or InstallSnapshot or TimeoutNow)
        {
            (messagesBeforePersist ??= []).Add(message);
        }
        else
        {
            (messagesAfterPersist ??= []).Add(message);
        }
    }

    private void ResetElectionTimer()
    {
        electionElapsed = 0;
        randomizedElectionTimeout = random.Next(config.ElectionTimeoutMinTicks, config.ElectionTimeoutMaxTicks);
        quickFirstTimeout = false;
    }

    private void HeardFromLeader(int leader)
    {
        LeaderId = leader;
        if (quickFirstTimeout)
        {
            ResetElectionTimer(); // a leader is there after all: wait for it as long as any follower does
        }

        electionElapsed = 0;
    }

    private void FlushPendingBroadcasts()
    {
        if (appendsPending)
        {
            appendsPending = false;
            if (Role == RaftRole.Leader)
            {
                BroadcastAppend(sendIfEmpty: false);
            }
        }

        if (readRoundPending)
        {
            readRoundPending = false;
            if (Role == RaftRole.Leader)
            {
                readRound++;
                BroadcastHeartbeat(readRound);
            }
        }
    }

    public override string ToString() =>
        $"node {Id} {Role} t{Term} vote={(VotedFor?.ToString() ?? "-")} leader={(LeaderId?.ToString() ?? "-")} {log}";
}
