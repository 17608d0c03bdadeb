namespace LockService.Raft.Tests.Unit;

/// <summary>Dissertation §9.6 (pre-vote) and §6.2 / §4.2.3 (check-quorum and leader stickiness).</summary>
public sealed class PreVoteAndCheckQuorumTests
{
    private static RaftConfig Both(RaftConfig c) => c with { PreVote = true, CheckQuorum = true };

    [Fact]
    public void PreVote_PreCandidateDoesNotRaiseItsTerm()
    {
        var node = Kit.Node(0, configure: c => c with { PreVote = true });
        Kit.TickUntilCampaign(node);

        Assert.Equal(RaftRole.PreCandidate, node.Role);
        Assert.Equal(0, node.Term);
        Assert.Null(node.VotedFor);
        var requests = Kit.Sent<RequestVote>(node);
        Assert.All(requests, r => Assert.True(r.PreVote));
        Assert.All(requests, r => Assert.Equal(1, r.Term));
    }

    [Fact]
    public void QuickFirstElection_AStartingReplicaAsksForPreVotesBeforeTheMinimumElectionTimeout()
    {
        for (var seed = 1; seed <= 50; seed++)
        {
            var node = Kit.Node(0, configure: c => c with { PreVote = true }, seed: seed);
            var ticks = TicksUntilCampaign(node);
            Assert.InRange(ticks, node.Config.HeartbeatTicks + 1, node.Config.ElectionTimeoutMinTicks - 1);
            Assert.Equal(RaftRole.PreCandidate, node.Role);

            // Only the first timeout is short: the next is drawn as usual.
            Kit.Drain(node);
            Assert.InRange(TicksUntilCampaign(node, from: RaftRole.PreCandidate), node.Config.ElectionTimeoutMinTicks, node.Config.ElectionTimeoutMaxTicks - 1);
        }
    }

    [Fact]
    public void QuickFirstElection_AStartingReplicaThatHearsItsLeaderWaitsAFullTimeoutAfterIt()
    {
        // Restarted in term 2 beside a live leader (replica 1): its heartbeat, of the same term, arrives first.
        var node = Kit.WithLog(0, 2, [1, 2], configure: c => c with { PreVote = true });
        node.Step(new Heartbeat(1, 0, 2, 0, Round: 1));
        Kit.Drain(node);

        Assert.InRange(TicksUntilCampaign(node), node.Config.ElectionTimeoutMinTicks, node.Config.ElectionTimeoutMaxTicks - 1);
    }

    [Theory]
    [InlineData(false, true)] // no pre-vote: an early candidate would raise the term and depose a live leader
    [InlineData(true, false)] // turned off
    public void QuickFirstElection_OnlyWithPreVoteAndWhenOn(bool preVote, bool quick)
    {
        for (var seed = 1; seed <= 50; seed++)
        {
            var node = Kit.Node(0, configure: c => c with { PreVote = preVote, QuickFirstElection = quick }, seed: seed);
            Assert.InRange(TicksUntilCampaign(node), node.Config.ElectionTimeoutMinTicks, node.Config.ElectionTimeoutMaxTicks - 1);
        }
    }

    [Fact]
    public void QuickFirstElection_AReplicaRestartingBesideALiveLeaderDoesNotDisturbIt()
    {
        var cluster = new TestCluster(configure: Both);
        cluster.Campaign(0);
        cluster.Restart(2);
        cluster.TickAll(40);

        Assert.Equal(0, cluster.Leader());
        Assert.Equal(1, cluster[0].Term);
        Assert.Equal(0, cluster[2].LeaderId);
    }

    private static int TicksUntilCampaign(RaftNode node, RaftRole from = RaftRole.Follower)
    {
        for (var ticks = 1; ticks <= 100; ticks++)
        {
            node.Tick();
            if (node.Role != from || (from == RaftRole.PreCandidate && Kit.Sent<RequestVote>(node).Count > 0))
            {
                return ticks;
            }
        }

        throw new InvalidOperationException("no campaign in 100 ticks");
    }

    [Fact]
    public void PreVote_GrantingAPreVoteChangesNeitherTermNorVote()
    {
        var voter = Kit.Node(0, configure: c => c with { PreVote = true });
        voter.Step(new RequestVote(1, 0, 5, 0, 0, PreVote: true, Transfer: false));

        Assert.True(Assert.Single(Kit.Sent<VoteResponse>(voter)).Granted);
        Assert.Equal(0, voter.Term);
        Assert.Null(voter.VotedFor);
    }

    [Fact]
    public void PreVote_WinningPreElectionStartsRealElection()
    {
        var cluster = new TestCluster(configure: c => c with { PreVote = true });
        cluster.Campaign(1);

        Assert.Equal(1, cluster.Leader());
        Assert.Equal(1, cluster[1].Term);
    }

    [Fact]
    public void PreVote_PartitionedNodeRejoiningDoesNotDisruptHealthyLeader()
    {
        var cluster = new TestCluster(configure: Both);
        cluster.Campaign(0);
        cluster.Isolate(2);
        for (var i = 0; i < 100; i++)
        {
            cluster.TickAll();
        }

        Assert.Equal(1, cluster[2].Term);
        cluster.Heal();
        cluster.TickAll(30);

        Assert.Equal(0, cluster.Leader());
        Assert.Equal(1, cluster[0].Term);
        Assert.Equal(0, cluster[2].LeaderId);
    }

    [Fact]
    public void WithoutPreVote_PartitionedNodeRejoiningDeposesTheLeader()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        cluster.Isolate(2);
        for (var i = 0; i < 100; i++)
        {
            cluster.TickAll();
        }

        Assert.True(cluster[2].Term > 1);
        cluster.Heal();
        cluster.TickAll(2);

        Assert.True(cluster[0].Term > 1, "the inflated term reached the leader and made it step down");
    }

    [Theory]
    [InlineData(1)] // etcd's rule
    [InlineData(2)] // the default
    [InlineData(3)]
    public void CheckQuorum_LeaderThatLostTheMajorityStepsDownAfterItsRoundsOfSilence(int rounds)
    {
        var cluster = new TestCluster(configure: c => Both(c) with { CheckQuorumRounds = rounds });
        cluster.Campaign(0);
        cluster.Isolate(0);
        var min = cluster.Configs[0].ElectionTimeoutMinTicks;

        // The first round heard every vote; then `rounds` rounds of silence.
        LeaderTicks(cluster, ((rounds + 1) * min) - 1);
        Assert.Equal(RaftRole.Leader, cluster[0].Role);

        LeaderTicks(cluster, 1);
        Assert.Equal(RaftRole.Follower, cluster[0].Role);
        Assert.False(cluster[0].ReadIndex(1));
        Assert.Equal(ProposeStatus.NotLeader, cluster[0].Propose(Kit.Bytes("x")).Status);
    }

    [Fact]
    public void CheckQuorum_FollowersHeardInDifferentRecentRoundsMakeAQuorumTogether()
    {
        // Five voters: each round the leader hears one follower only (2 of 5), but over the last two rounds three.
        var cluster = new TestCluster(voters: 5, configure: Both);
        cluster.Campaign(0);
        var min = cluster.Configs[0].ElectionTimeoutMinTicks;

        // A round's last heartbeat goes out after its check, so it is heard in the next round: switch one tick early.
        HearOnly(cluster, 1);
        LeaderTicks(cluster, (2 * min) - 1); // round 1 (every vote), most of round 2 (replica 1)
        HearOnly(cluster, 2);
        LeaderTicks(cluster, min); // round 2 ends: {1}; most of round 3 (replica 2)
        cluster.Isolate(0);
        LeaderTicks(cluster, 1); // round 3 ends: {2}; {1} a round ago

        Assert.Equal(RaftRole.Leader, cluster[0].Role);

        LeaderTicks(cluster, min); // round 4 ends in silence: only replica 2 was heard within two rounds
        Assert.Equal(RaftRole.Follower, cluster[0].Role);
    }

    [Fact]
    public void CheckQuorum_LeaderHearingFromMajorityStaysLeader()
    {
        var cluster = new TestCluster(configure: Both);
        cluster.Campaign(0);
        cluster.Isolate(2);
        cluster.TickAll(50);

        Assert.Equal(0, cluster.Leader());
    }

    [Fact]
    public void CheckQuorum_FollowerHearingALeaderIgnoresVoteRequestsOfHigherTerm()
    {
        var cluster = new TestCluster(configure: Both);
        cluster.Campaign(0);
        var follower = cluster[1];

        follower.Step(new RequestVote(2, 1, 5, 100, 5, PreVote: false, Transfer: false));

        Assert.Equal(1, follower.Term);
        Assert.Equal(0, follower.LeaderId);
        Assert.Empty(Kit.Sent<VoteResponse>(follower));
    }

    [Fact]
    public void CheckQuorum_VoteRequestForALeadershipTransferIsHonouredDuringTheLease()
    {
        var cluster = new TestCluster(configure: Both);
        cluster.Campaign(0);
        var follower = cluster[1];

        follower.Step(new RequestVote(2, 1, 2, 100, 5, PreVote: false, Transfer: true));

        Assert.Equal(2, follower.Term);
        Assert.True(Assert.Single(Kit.Sent<VoteResponse>(follower)).Granted);
    }

    /// <summary>Only the leader ticks, so no follower campaigns while the test cuts links.</summary>
    private static void LeaderTicks(TestCluster cluster, int ticks)
    {
        for (var tick = 0; tick < ticks; tick++)
        {
            cluster[0].Tick();
            cluster.Stabilize();
        }
    }

    private static void HearOnly(TestCluster cluster, int follower)
    {
        cluster.Heal();
        for (var other = 1; other < cluster.Configs.Length; other++)
        {
            if (other != follower)
            {
                cluster.Cut(0, other);
                cluster.Cut(other, 0);
            }
        }
    }
}
