using LockService.Raft;

namespace LockService.Simulation;

/// <summary>
/// The safety properties of Raft (paper Figure 3), checked after every simulation step:
/// election safety (one leader per term), log matching, leader completeness, state machine safety, durability of
/// every committed entry on a majority, and linearizable reads. A violation throws <see cref="InvariantViolation"/>.
/// </summary>
public sealed class InvariantChecker(IReadOnlyList<SimReplica> replicas)
{
    private readonly Dictionary<long, int> leaderOfTerm = [];
    private readonly Dictionary<(long Index, long Term), EntryFingerprint> entries = [];
    private readonly List<long> committedTerms = [0];
    private readonly List<long> committingTerms = [0];
    private readonly Dictionary<long, ulong> stateHashes = [];
    private readonly Dictionary<(int Replica, long RequestId), long> readRequirements = [];
    private readonly int quorum = replicas.Count / 2 + 1;

    /// <summary>The highest index any replica ever saw committed.</summary>
    public long HighestCommitted { get; private set; }

    public int LeadersElected => leaderOfTerm.Count;

    public long CommittedTermAt(long index) => index < committedTerms.Count ? committedTerms[(int)index] : 0;

    /// <summary>Log matching, checked as entries enter any log: one (index, term) names one entry with one predecessor term.</summary>
    public void OnPersist(SimReplica replica, Ready ready) => OnPersist(replica, ready.EntriesToPersist.Span);

    /// <summary>
    /// Log matching for entries a host writes itself (call before they reach its durable store). A snapshot written in
    /// the same write comes first: the entries may follow it rather than the durable log.
    /// </summary>
    public void OnPersist(SimReplica replica, ReadOnlySpan<LogEntry> span, Snapshot? snapshotInSameWrite = null)
    {
        for (var i = 0; i < span.Length; i++)
        {
            ref readonly var entry = ref span[i];
            long previousTerm;
            if (i > 0)
            {
                previousTerm = span[i - 1].Term;
            }
            else if (snapshotInSameWrite is { Metadata: var metadata } && metadata.LastIncludedIndex == entry.Index - 1)
            {
                previousTerm = metadata.LastIncludedTerm;
            }
            else if (!replica.Durable.TryGetTerm(entry.Index - 1, out previousTerm))
            {
                throw new InvariantViolation($"log matching: replica {replica.Id} persists {entry} after a gap (durable log ends at {replica.Durable.LastIndex})");
            }

            var fingerprint = new EntryFingerprint(entry.Type, entry.Data, previousTerm);
            if (entries.TryGetValue((entry.Index, entry.Term), out var known))
            {
                if (!known.SameAs(fingerprint))
                {
                    throw new InvariantViolation($"log matching: replica {replica.Id} holds a different entry {entry} (previous term {previousTerm}, known {known.PreviousTerm})");
                }
            }
            else
            {
                entries.Add((entry.Index, entry.Term), fingerprint);
            }
        }
    }

    /// <summary>State machine safety: every replica applies the same entry at an index and reaches the same state.</summary>
    public void OnApplied(SimReplica replica, in LogEntry entry)
    {
        var committed = CommittedTermAt(entry.Index);
        if (committed == 0 || committed != entry.Term)
        {
            throw new InvariantViolation($"state machine safety: replica {replica.Id} applied {entry}, committed term there is {committed}");
        }

        CheckStateHash(replica, entry.Index);
    }

    public void OnRestored(SimReplica replica, long snapshotIndex) => CheckStateHash(replica, snapshotIndex);

    /// <summary>A read issued now must return at least everything committed anywhere before it.</summary>
    public void OnReadIssued(SimReplica replica, long requestId) =>
        readRequirements[(replica.Id, requestId)] = HighestCommitted;

    public void OnReadState(SimReplica replica, ReadState read)
    {
        if (!readRequirements.Remove((replica.Id, read.RequestId), out var required))
        {
            throw new InvariantViolation($"read: replica {replica.Id} released unknown read {read.RequestId}");
        }

        if (read.Index < required)
        {
            throw new InvariantViolation($"linearizable read: replica {replica.Id} read at index {read.Index}, but {required} was committed before the read was issued");
        }
    }

    public void OnCrash(SimReplica replica)
    {
        replica.CheckedCommit = 0;
        replica.LastRole = RaftRole.Follower;
    }

    /// <summary>Checks run after every step.</summary>
    public void AfterStep()
    {
        foreach (var replica in replicas)
        {
            Observe(replica);
        }

        CheckDurability();
    }

    /// <summary>Registers one replica's role and commit index (also before its Ready is applied).</summary>
    public void Observe(SimReplica replica)
    {
        if (replica.Node is { } node)
        {
            CheckLeader(replica, node);
            CheckCommitted(replica, node);
        }
    }

    /// <summary>Election safety, and leader completeness at the moment a leader is elected.</summary>
    private void CheckLeader(SimReplica replica, RaftNode node)
    {
        if (node.Role == RaftRole.Leader)
        {
            if (leaderOfTerm.TryGetValue(node.Term, out var leader) && leader != replica.Id)
            {
                throw new InvariantViolation($"election safety: replicas {leader} and {replica.Id} are both leaders of term {node.Term}");
            }

            leaderOfTerm[node.Term] = replica.Id;
            if (replica.LastRole != RaftRole.Leader || replica.LastTerm != node.Term)
            {
                CheckLeaderCompleteness(replica, node);
            }
        }

        replica.LastRole = node.Role;
        replica.LastTerm = node.Term;
    }

    /// <summary>A leader of term T holds every entry committed in a term before T (paper §5.4).</summary>
    private void CheckLeaderCompleteness(SimReplica replica, RaftNode node)
    {
        for (var index = HighestCommitted; index > 0; index--)
        {
            if (committingTerms[(int)index] >= node.Term)
            {
                continue;
            }

            if (index <= node.SnapshotIndex)
            {
                return;
            }

            if (!node.TryGetTerm(index, out var term) || term != committedTerms[(int)index])
            {
                throw new InvariantViolation($"leader completeness: new leader {replica.Id} of term {node.Term} lacks committed entry {index}@{committedTerms[(int)index]}");
            }

            return;
        }
    }

    private void CheckCommitted(SimReplica replica, RaftNode node) => replica.CheckedCommit = CheckCommitted(replica.Id, node, replica.CheckedCommit);

    /// <summary>
    /// Registers what the node of a stale second activation of a replica (one the simulator does not observe as the
    /// replica) has seen committed: it may answer clients from it. Returns the new <paramref name="checkedCommit"/>.
    /// </summary>
    public long ObserveStaleActivation(int replicaId, RaftNode node, long checkedCommit) => CheckCommitted(replicaId, node, checkedCommit);

    /// <summary>Registers newly committed entries; a committed index never changes its entry.</summary>
    private long CheckCommitted(int replicaId, RaftNode node, long checkedCommit)
    {
        var commit = node.CommitIndex;
        if (commit <= checkedCommit)
        {
            return checkedCommit;
        }

        for (var index = Math.Max(checkedCommit, node.SnapshotIndex) + 1; index <= commit; index++)
        {
            if (!node.TryGetTerm(index, out var term))
            {
                throw new InvariantViolation($"replica {replicaId} committed {index} but its log does not hold it ({node})");
            }

            if (index < committedTerms.Count && committedTerms[(int)index] == 0)
            {
                committedTerms[(int)index] = term;
                committingTerms[(int)index] = node.Term;
            }
            else if (index < committedTerms.Count)
            {
                if (committedTerms[(int)index] != term)
                {
                    throw new InvariantViolation($"state machine safety: replica {replicaId} committed {index}@{term}, but {index}@{committedTerms[(int)index]} was committed before");
                }

                committingTerms[(int)index] = Math.Min(committingTerms[(int)index], node.Term);
            }
            else
            {
                while (committedTerms.Count < index)
                {
                    // Learned through a snapshot elsewhere; filled in when a log shows it.
                    committedTerms.Add(0);
                    committingTerms.Add(long.MaxValue);
                }

                committedTerms.Add(term);
                committingTerms.Add(node.Term);
            }
        }

        HighestCommitted = Math.Max(HighestCommitted, commit);
        return commit;
    }

    /// <summary>No committed entry is ever lost: a majority holds the highest committed entry durably (log or snapshot).</summary>
    private void CheckDurability()
    {
        var index = HighestCommitted;
        if (index == 0)
        {
            return;
        }

        var term = committedTerms[(int)index];
        var holders = 0;
        foreach (var replica in replicas)
        {
            var durable = replica.Durable;
            if (durable.SnapshotIndex >= index || (durable.TryGetTerm(index, out var held) && held == term))
            {
                holders++;
            }
        }

        if (holders < quorum)
        {
            throw new InvariantViolation($"durability: committed entry {index}@{term} is durable on only {holders} replicas");
        }

        CheckNoElectableLogLacks(index, term);
    }

    /// <summary>
    /// The heart of leader completeness, checked on what is durable: no replica whose log lacks the highest committed
    /// entry may be able to collect a majority of votes under the up-to-date rule (§5.4.1). This fails the moment a
    /// leader commits an entry that a later leader could still overwrite (Figure 8), not only once it is overwritten.
    /// </summary>
    private void CheckNoElectableLogLacks(long index, long term)
    {
        foreach (var candidate in replicas)
        {
            var log = candidate.Durable;
            if (log.SnapshotIndex >= index || (log.TryGetTerm(index, out var held) && held == term))
            {
                continue;
            }

            log.TryGetTerm(log.LastIndex, out var lastTerm);
            var votes = 0;
            foreach (var voter in replicas)
            {
                var voterLog = voter.Durable;
                voterLog.TryGetTerm(voterLog.LastIndex, out var voterLastTerm);
                if (lastTerm > voterLastTerm || (lastTerm == voterLastTerm && log.LastIndex >= voterLog.LastIndex))
                {
                    votes++;
                }
            }

            if (votes >= quorum)
            {
                throw new InvariantViolation(
                    $"leader completeness: replica {candidate.Id} lacks committed entry {index}@{term} but could be elected " +
                    $"(its log ends at {log.LastIndex}@{lastTerm}, {votes} replicas would vote for it)");
            }
        }
    }

    private void CheckStateHash(SimReplica replica, long index)
    {
        var hash = replica.Applier.StateHash;
        if (stateHashes.TryGetValue(index, out var expected))
        {
            if (expected != hash)
            {
                throw new InvariantViolation($"state machine safety: replica {replica.Id} state at index {index} differs from another replica's");
            }
        }
        else
        {
            stateHashes.Add(index, hash);
        }
    }

    private readonly record struct EntryFingerprint(EntryType Type, ReadOnlyMemory<byte> Data, long PreviousTerm)
    {
        public bool SameAs(EntryFingerprint other) =>
            Type == other.Type && PreviousTerm == other.PreviousTerm && Data.Span.SequenceEqual(other.Data.Span);
    }
}

public sealed class InvariantViolation(string message) : Exception(message);
