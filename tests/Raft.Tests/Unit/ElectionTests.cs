namespace LockService.Raft.Tests.Unit;

/// <summary>Paper §5.1 (terms) and §5.2 (leader election), §5.4.1 (election restriction).</summary>
public sealed class ElectionTests
{
    [Fact]
    public void Section5_1_NodeStepsDownAndAdoptsNewerTermFromAnyMessage()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        var leader = cluster[0];
        Assert.Equal(RaftRole.Leader, leader.Role);

        leader.Step(new HeartbeatResponse(1, 0, leader.Term + 3, 0));

        Assert.Equal(RaftRole.Follower, leader.Role);
        Assert.Equal(4, leader.Term);
        Assert.Null(leader.LeaderId);
    }

    [Fact]
    public void Section5_1_MessageFromOlderTermIsRejectedAndSenderLearnsTheNewerTerm()
    {
        var follower = Kit.WithLog(1, term: 5, [1, 1]);
        follower.Step(new AppendEntries(0, 1, 3, 2, 1, 0, new[] { new LogEntry(3, 3, EntryType.Normal, Kit.Bytes("x")) }));

        Assert.Equal(2, follower.LastIndex);
        var answer = Assert.Single(Kit.Sent<RaftMessage>(follower));
        Assert.Equal(5, answer.Term);
        Assert.Equal(0, answer.To);
    }

    [Fact]
    public void Section5_2_FollowerStartsElectionAfterElectionTimeoutWithTermPlusOneAndVoteForItself()
    {
        var node = Kit.Node(0);
        Kit.TickUntilCampaign(node);

        Assert.Equal(RaftRole.Candidate, node.Role);
        Assert.Equal(1, node.Term);
        Assert.Equal(0, node.VotedFor);
        var requests = Kit.Sent<RequestVote>(node);
        Assert.Equal([1, 2], requests.Select(r => r.To).Order());
        Assert.All(requests, r => Assert.Equal(1, r.Term));
    }

    [Fact]
    public void Section5_2_ElectionTimeoutsAreRandomizedWithinConfiguredBounds()
    {
        var timeouts = new HashSet<int>();
        for (var seed = 0; seed < 200; seed++)
        {
            var node = Kit.Node(0, seed: seed);
            var ticks = 0;
            while (node.Role == RaftRole.Follower)
            {
                node.Tick();
                ticks++;
            }

            Assert.InRange(ticks, 6, 11);
            timeouts.Add(ticks);
        }

        Assert.True(timeouts.Count >= 5, $"only {timeouts.Count} distinct timeouts");
    }

    [Fact]
    public void Section5_2_CandidateWinsWithVotesFromMajority()
    {
        var cluster = new TestCluster(5);
        cluster.Isolate(3);
        cluster.Isolate(4);
        cluster.Campaign(0);

        Assert.Equal(RaftRole.Leader, cluster[0].Role);
        Assert.Equal(0, cluster[1].LeaderId);
    }

    [Fact]
    public void Section5_2_CandidateWithoutMajorityDoesNotBecomeLeader()
    {
        var cluster = new TestCluster(5);
        cluster.Isolate(2);
        cluster.Isolate(3);
        cluster.Isolate(4);
        cluster.Campaign(0);

        Assert.Equal(RaftRole.Candidate, cluster[0].Role);
    }

    [Fact]
    public void Section5_2_CandidateStepsDownOnAppendFromLeaderOfSameTerm()
    {
        var candidate = Kit.Node(1);
        Kit.TickUntilCampaign(candidate);
        Kit.Drain(candidate);

        candidate.Step(new AppendEntries(0, 1, candidate.Term, 0, 0, 0, ReadOnlyMemory<LogEntry>.Empty));

        Assert.Equal(RaftRole.Follower, candidate.Role);
        Assert.Equal(0, candidate.LeaderId);
    }

    [Fact]
    public void Section5_2_AtMostOneVotePerTermFirstComeFirstServed()
    {
        var voter = Kit.Node(0);
        voter.Step(new RequestVote(1, 0, 1, 0, 0, PreVote: false, Transfer: false));
        voter.Step(new RequestVote(2, 0, 1, 0, 0, PreVote: false, Transfer: false));
        voter.Step(new RequestVote(1, 0, 1, 0, 0, PreVote: false, Transfer: false));

        var answers = Kit.Sent<VoteResponse>(voter);
        Assert.Equal([(1, true), (2, false), (1, true)], answers.Select(a => (a.To, a.Granted)));
        Assert.Equal(1, voter.VotedFor);
    }

    [Fact]
    public void Section5_2_VoteSurvivesRestartSoNoSecondVoteInTheSameTerm()
    {
        var cluster = new TestCluster();
        cluster[0].Step(new RequestVote(1, 0, 1, 0, 0, PreVote: false, Transfer: false));
        cluster.Stabilize();
        cluster.Restart(0);

        cluster[0].Step(new RequestVote(2, 0, 1, 0, 0, PreVote: false, Transfer: false));

        Assert.Equal(1, cluster[0].VotedFor);
        Assert.False(Assert.Single(Kit.Sent<VoteResponse>(cluster[0])).Granted);
    }

    [Fact]
    public void Section5_2_VoteIsSentOnlyAfterItIsPersisted()
    {
        var voter = Kit.Node(0);
        voter.Step(new RequestVote(1, 0, 1, 0, 0, PreVote: false, Transfer: false));

        var ready = voter.GetReady();
        Assert.Empty(ready.MessagesBeforePersist);
        Assert.IsType<VoteResponse>(Assert.Single(ready.MessagesAfterPersist));
        Assert.Equal(new HardState(1, 1, 0), ready.HardState);
    }

    [Theory]
    [InlineData(2, 1, false)] // lower last term
    [InlineData(3, 2, false)] // same last term, shorter log
    [InlineData(4, 2, true)] // same last term, same length
    [InlineData(1, 3, true)] // higher last term wins even with a shorter log
    public void Section5_4_1_VoteOnlyForCandidateWithLogAtLeastAsUpToDate(long lastIndex, long lastTerm, bool granted)
    {
        var voter = Kit.WithLog(0, term: 2, [1, 1, 2, 2]);
        voter.Step(new RequestVote(1, 0, 3, lastIndex, lastTerm, PreVote: false, Transfer: false));

        Assert.Equal(granted, Assert.Single(Kit.Sent<VoteResponse>(voter)).Granted);
    }

    [Fact]
    public void Section5_2_LeaderSendsHeartbeatsEveryHeartbeatInterval()
    {
        var cluster = new TestCluster(configure: c => c with { HeartbeatTicks = 2, ElectionTimeoutMinTicks = 10, ElectionTimeoutMaxTicks = 20 });
        cluster.Campaign(0);
        var leader = cluster[0];

        leader.Tick();
        Assert.Empty(Kit.Sent<Heartbeat>(leader));
        leader.Tick();
        Assert.Equal(2, Kit.Sent<Heartbeat>(leader).Count);
    }

    [Fact]
    public void Section5_2_FiveVoters_ElectExactlyOneLeaderWhoseAppendsResetFollowerTimers()
    {
        var cluster = new TestCluster(5);
        cluster.Campaign(2);
        Assert.Equal(2, cluster.Leader());
        for (var i = 0; i < 50; i++)
        {
            cluster.TickAll();
        }

        Assert.Equal(2, cluster.Leader());
        Assert.Equal(1, cluster[2].Term);
    }
}
