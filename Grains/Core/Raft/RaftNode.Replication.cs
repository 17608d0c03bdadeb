namespace LockService.Raft;

/// <summary>Proposals, log replication with pipelining and fast backtracking (paper §5.3), and commit (§5.4.2).</summary>
public sealed partial class RaftNode
{
    /// <summary>Bytes of this term's proposals not yet committed (bounded by <see cref="RaftConfig.MaxUncommittedBytes"/>).</summary>
    private long uncommittedBytes;

    /// <summary>Proposals arrived since the last Ready: appends go out once per Ready, so proposals batch naturally.</summary>
    private bool appendsPending;

    /// <summary>Proposes one command. Accepted means appended to the leader's log, not committed.</summary>
    public ProposeResult Propose(ReadOnlyMemory<byte> command) =>
        Propose(new ReadOnlySpan<ReadOnlyMemory<byte>>(in command));

    /// <summary>
    /// Proposes commands as consecutive entries, all or none. The bytes are kept by reference and must not change.
    /// </summary>
    public ProposeResult Propose(ReadOnlySpan<ReadOnlyMemory<byte>> commands)
    {
        if (commands.IsEmpty)
        {
            throw new ArgumentException("Propose needs at least one command.", nameof(commands));
        }

        if (Role != RaftRole.Leader)
        {
            return ProposeResult.NotLeader(LeaderId);
        }

        if (LeadTransferee is { } transferee)
        {
            // Entries accepted now would delay the transfer; the client retries at the new leader.
            return ProposeResult.NotLeader(transferee);
        }

        long bytes = 0;
        foreach (var command in commands)
        {
            bytes += command.Length + 16;
        }

        // One proposal is always let through on an empty tail, so a single large command cannot be refused forever.
        if (uncommittedBytes > 0 && uncommittedBytes + bytes > config.MaxUncommittedBytes)
        {
            return ProposeResult.Overloaded(Id);
        }

        var first = log.LastIndex + 1;
        log.EnsureRoomFor(commands.Length);
        for (var i = 0; i < commands.Length; i++)
        {
            log.Append(new LogEntry(first + i, Term, EntryType.Normal, commands[i]));
        }

        uncommittedBytes += bytes;
        appendsPending = true;
        return ProposeResult.Accepted(first, Term);
    }

    private void BroadcastAppend(bool sendIfEmpty)
    {
        for (var id = 0; id < progress.Length; id++)
        {
            if (id != Id)
            {
                SendAppends(id, sendIfEmpty);
            }
        }
    }

    /// <summary>Sends one append, then keeps the pipeline full while the follower is in replicate state.</summary>
    private void SendAppends(int to, bool sendIfEmpty)
    {
        if (SendAppend(to, sendIfEmpty))
        {
            while (progress[to].State == ProgressState.Replicate && SendAppend(to, sendIfEmpty: false))
            {
            }
        }
    }

    /// <summary>Sends the next append to <paramref name="to"/> unless flow control says wait; a snapshot if the entries are gone.</summary>
    private bool SendAppend(int to, bool sendIfEmpty)
    {
        var follower = progress[to];
        if (follower.IsPaused)
        {
            return false;
        }

        var prevIndex = follower.Next - 1;
        if (!log.TryGetTerm(prevIndex, out var prevTerm))
        {
            StartSnapshot(to);
            return false;
        }

        var entries = log.EntriesForMessage(follower.Next, config.MaxEntriesPerMessage, config.MaxBytesPerMessage);
        if (entries.IsEmpty && !sendIfEmpty)
        {
            return false;
        }

        Send(new AppendEntries(Id, to, Term, prevIndex, prevTerm, log.Committed, entries));
        if (follower.State == ProgressState.Replicate && !entries.IsEmpty)
        {
            var last = entries.Span[^1].Index;
            follower.Next = last + 1;
            follower.Inflights.Add(last);
        }
        else if (follower.State == ProgressState.Probe)
        {
            follower.ProbeSent = true;
        }

        return true;
    }

    private void BroadcastHeartbeat(long round)
    {
        for (var id = 0; id < progress.Length; id++)
        {
            if (id != Id)
            {
                // Never more than the follower is known to hold, so it can commit without checking its log.
                Send(new Heartbeat(Id, id, Term, Math.Min(progress[id].Match, log.Committed), round));
            }
        }
    }

    /// <summary>Follower side of §5.3: the consistency check, then append and learn the commit index.</summary>
    private void HandleAppendEntries(AppendEntries append)
    {
        if (append.PrevLogIndex < log.Committed)
        {
            // Everything up to our commit index matches any current leader's log; say so and let it resend from there.
            Send(new AppendResponse(Id, append.From, Term, Reject: false, log.Committed, 0, 0));
            return;
        }

        if (log.TryAppend(append.PrevLogIndex, append.PrevLogTerm, append.Entries.Span, out var lastNewIndex))
        {
            // Only up to what this append proved to match: entries beyond it may still be from an older leader.
            log.CommitTo(Math.Min(append.LeaderCommit, lastNewIndex));
            Send(new AppendResponse(Id, append.From, Term, Reject: false, lastNewIndex, 0, 0));
            return;
        }

        // Fast backtracking: point the leader at our last entry that could still match, skipping whole terms.
        var hintIndex = log.FindConflictByTerm(Math.Min(append.PrevLogIndex, log.LastIndex), append.PrevLogTerm);
        log.TryGetTerm(hintIndex, out var hintTerm);
        Send(new AppendResponse(Id, append.From, Term, Reject: true, append.PrevLogIndex, hintIndex, hintTerm));
    }

    private void HandleHeartbeat(Heartbeat heartbeat)
    {
        log.CommitTo(heartbeat.Commit);
        Send(new HeartbeatResponse(Id, heartbeat.From, Term, heartbeat.Round));
    }

    private void HandleAppendResponse(AppendResponse response)
    {
        var follower = progress[response.From];
        follower.RecentActive = true;
        if (response.Reject)
        {
            var probeFrom = response.ConflictIndex;
            if (response.ConflictTerm > 0)
            {
                // Our own last entry at or before the hint with a term no higher than the follower's there.
                probeFrom = log.FindConflictByTerm(response.ConflictIndex, response.ConflictTerm);
            }

            if (follower.MaybeDecreaseTo(response.Index, probeFrom))
            {
                if (follower.State == ProgressState.Replicate)
                {
                    follower.BecomeProbe();
                }

                SendAppends(response.From, sendIfEmpty: true);
            }

            return;
        }

        var wasPaused = follower.IsPaused;
        if (!follower.MaybeUpdate(response.Index) && !(follower.Match == response.Index && follower.State == ProgressState.Probe))
        {
            return;
        }

        switch (follower.State)
        {
            case ProgressState.Probe:
                follower.BecomeReplicate();
                break;
            case ProgressState.Snapshot when follower.Match >= follower.PendingSnapshot || follower.Match + 1 >= log.FirstIndex:
                follower.BecomeProbe();
                follower.BecomeReplicate();
                break;
            case ProgressState.Replicate:
                follower.Inflights.FreeUpTo(response.Index);
                break;
        }

        if (MaybeCommit())
        {
            BroadcastAppend(sendIfEmpty: true);
        }
        else
        {
            // A follower we held back may have missed the latest commit index: tell it, even with nothing new to send.
            SendAppends(response.From, sendIfEmpty: wasPaused);
        }

        if (response.From == LeadTransferee && follower.Match == log.LastIndex)
        {
            Send(new TimeoutNow(Id, response.From, Term));
        }
    }

    private void HandleHeartbeatResponse(HeartbeatResponse response)
    {
        var follower = progress[response.From];
        follower.RecentActive = true;
        follower.ProbeSent = false;
        if (follower.State == ProgressState.Replicate && follower.Inflights.IsFull)
        {
            // Acknowledgements may have been lost; let one more append through so replication cannot stall.
            follower.Inflights.FreeFirst();
        }

        if (follower.State == ProgressState.Snapshot)
        {
            // The last chunks or their answers may have been lost: send the chunk the follower expects again.
            ResendSnapshotChunk(response.From);
        }
        else if (follower.Match < log.LastIndex)
        {
            // Even with nothing new to send: the follower's acknowledgements may have been lost, and an (empty)
            // append at Next either gets acknowledged or rejected, which moves Match or Next.
            SendAppends(response.From, sendIfEmpty: true);
        }

        if (response.Round > follower.AckedRound)
        {
            follower.AckedRound = response.Round;
            ConfirmReads();
        }
    }

    /// <summary>
    /// Commits the highest index a majority holds durably, but only an entry of the current term (§5.4.2, Figure 8);
    /// earlier entries commit with it. The leader counts itself only for what the host reported persisted.
    /// </summary>
    private bool MaybeCommit()
    {
        Span<long> matches = stackalloc long[progress.Length];
        for (var id = 0; id < progress.Length; id++)
        {
            matches[id] = id == Id ? log.Persisted : progress[id].Match;
        }

        var candidate = Quorum.CommittedIndex(matches);
        if (candidate <= log.Committed || !log.TryGetTerm(candidate, out var term) || term != Term)
        {
            return false;
        }

        var previous = log.Committed;
        log.CommitTo(candidate);
        ReleaseUncommitted(previous + 1, candidate);
        OnCommittedInCurrentTerm();
        return true;
    }

    private void ReleaseUncommitted(long from, long to)
    {
        if (uncommittedBytes == 0)
        {
            return;
        }

        for (var index = Math.Max(from, log.FirstIndex); index <= to; index++)
        {
            ref readonly var entry = ref log.EntryAt(index);
            if (entry.Term == Term && entry.Type == EntryType.Normal)
            {
                uncommittedBytes -= entry.SizeBytes;
            }
        }

        uncommittedBytes = Math.Max(0, uncommittedBytes);
    }
}
