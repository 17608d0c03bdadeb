namespace LockService.Raft;

/// <summary>Leader election (paper §5.2, §5.4.1), pre-vote and check-quorum (dissertation §9.6, §6.2).</summary>
public sealed partial class RaftNode
{
    /// <summary>Per voter: 0 no answer yet, 1 granted, -1 rejected, in the current (pre-)election.</summary>
    private readonly sbyte[] votes;

    private enum CampaignKind : byte
    {
        PreElection,
        Election,
        Transfer,
    }

    private void TickElection()
    {
        electionElapsed++;
        if (electionElapsed >= randomizedElectionTimeout)
        {
            Campaign(config.PreVote ? CampaignKind.PreElection : CampaignKind.Election);
        }
    }

    private void TickLeader()
    {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= config.ElectionTimeoutMinTicks)
        {
            electionElapsed = 0;
            if (config.CheckQuorum && !QuorumRecentlyActive())
            {
                // A leader cut off from a majority must stop serving: a new leader may already be elected.
                BecomeFollower(Term, null);
                return;
            }

        }

        if (LeadTransferee is not null && ++transferElapsed >= config.ElectionTimeoutMinTicks)
        {
            // A transfer that did not finish within an election timeout is abandoned, so proposals flow again.
            LeadTransferee = null;
        }

        if (heartbeatElapsed >= config.HeartbeatTicks)
        {
            heartbeatElapsed = 0;
            BroadcastHeartbeat(readRound);
        }
    }

    /// <summary>
    /// Ends a check-quorum round: counts the voters heard from within the last <see cref="RaftConfig.CheckQuorumRounds"/>
    /// rounds (the leader counts itself) and starts the next round.
    /// </summary>
    private bool QuorumRecentlyActive()
    {
        var active = 1;
        for (var id = 0; id < progress.Length; id++)
        {
            if (id == Id)
            {
                continue;
            }

            var follower = progress[id];
            follower.QuietRounds = follower.RecentActive ? 0 : follower.QuietRounds + 1;
            follower.RecentActive = false;
            if (follower.QuietRounds < config.CheckQuorumRounds)
            {
                active++;
            }
        }

        return active >= quorum;
    }

    private void Campaign(CampaignKind kind)
    {
        long voteTerm;
        if (kind == CampaignKind.PreElection)
        {
            BecomePreCandidate();
            voteTerm = Term + 1;
        }
        else
        {
            BecomeCandidate();
            voteTerm = Term;
        }

        votes[Id] = 1;
        for (var id = 0; id < progress.Length; id++)
        {
            if (id != Id)
            {
                Send(new RequestVote(
                    Id, id, voteTerm, log.LastIndex, log.LastTerm, kind == CampaignKind.PreElection, kind == CampaignKind.Transfer));
            }
        }
    }

    /// <summary>
    /// §5.2: at most one vote per term, first come first served; §5.4.1: only for a candidate whose log is at least as
    /// up to date. A pre-vote is granted to any future term with such a log, and records nothing.
    /// </summary>
    private void HandleVoteRequest(RequestVote request)
    {
        var canVote = VotedFor == request.From
            || (VotedFor is null && LeaderId is null)
            || (request.PreVote && request.Term > Term);
        if (canVote && log.IsUpToDate(request.LastLogIndex, request.LastLogTerm))
        {
            Send(new VoteResponse(Id, request.From, request.Term, request.PreVote, Granted: true));
            if (!request.PreVote)
            {
                VotedFor = request.From;
                electionElapsed = 0;
            }
        }
        else
        {
            Send(new VoteResponse(Id, request.From, Term, request.PreVote, Granted: false));
        }
    }

    private void HandleVoteResponse(VoteResponse response)
    {
        var preElection = Role == RaftRole.PreCandidate;
        if (response.PreVote != preElection)
        {
            return;
        }

        // Grants of a pre-vote carry the term we would campaign in; anything else is from an earlier round.
        var expectedTerm = preElection && response.Granted ? Term + 1 : Term;
        if (response.Term != expectedTerm || votes[response.From] != 0)
        {
            return;
        }

        votes[response.From] = response.Granted ? (sbyte)1 : (sbyte)-1;
        var granted = 0;
        var rejected = 0;
        foreach (var vote in votes)
        {
            granted += vote > 0 ? 1 : 0;
            rejected += vote < 0 ? 1 : 0;
        }

        switch (Quorum.Tally(granted, rejected, votes.Length))
        {
            case VoteOutcome.Won when preElection:
                Campaign(CampaignKind.Election);
                break;
            case VoteOutcome.Won:
                BecomeLeader();
                break;
            case VoteOutcome.Lost:
                BecomeFollower(Term, null);
                break;
        }
    }

    /// <summary>Clears what belongs to one term and one role; the vote survives unless the term changes.</summary>
    private void ResetForTerm(long term)
    {
        if (Term != term)
        {
            Term = term;
            VotedFor = null;
        }

        LeaderId = null;
        heartbeatElapsed = 0;
        ResetElectionTimer();
        LeadTransferee = null;
        Array.Clear(votes);
        appendsPending = false;
        uncommittedBytes = 0;
        ClearReads();
    }

    private void BecomeFollower(long term, int? leaderId)
    {
        ResetForTerm(term);
        Role = RaftRole.Follower;
        LeaderId = leaderId;
    }

    private void BecomePreCandidate()
    {
        // The term and vote stay: a pre-election changes nothing a real election depends on.
        Role = RaftRole.PreCandidate;
        LeaderId = null;
        ResetElectionTimer();
        Array.Clear(votes);
    }

    private void BecomeCandidate()
    {
        ResetForTerm(Term + 1);
        VotedFor = Id;
        Role = RaftRole.Candidate;
    }

    private void BecomeLeader()
    {
        ResetForTerm(Term);
        Role = RaftRole.Leader;
        LeaderId = Id;
        for (var id = 0; id < progress.Length; id++)
        {
            progress[id].Reset(log.LastIndex + 1);
        }

        progress[Id].BecomeReplicate();

        // §5.4.2: entries of earlier terms are committed only through an entry of the leader's own term.
        log.Append(new LogEntry(log.LastIndex + 1, Term, EntryType.NoOp, ReadOnlyMemory<byte>.Empty));
        BroadcastAppend(sendIfEmpty: true);
    }
}
