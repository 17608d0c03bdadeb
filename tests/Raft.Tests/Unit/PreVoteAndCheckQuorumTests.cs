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

    [Fact]
    public void CheckQuorum_LeaderThatLostTheMajorityStepsDownWithinAnElectionTimeout()
    {
        var cluster = new TestCluster(configure: Both);
        cluster.Campaign(0);
        cluster.Isolate(0);
        for (var tick = 0; tick < 2 * cluster.Configs[0].ElectionTimeoutMinTicks; tick++)
        {
            cluster[0].Tick();
        }

        Assert.Equal(RaftRole.Follower, cluster[0].Role);
        Assert.False(cluster[0].ReadIndex(1));
        Assert.Equal(ProposeStatus.NotLeader, cluster[0].Propose(Kit.Bytes("x")).Status);
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
}
