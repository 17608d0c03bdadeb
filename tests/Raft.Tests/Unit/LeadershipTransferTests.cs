namespace LockService.Raft.Tests.Unit;

/// <summary>Dissertation §3.10: leadership transfer.</summary>
public sealed class LeadershipTransferTests
{
    [Fact]
    public void Transfer_ToUpToDateFollowerSendsTimeoutNowAndTheTargetWins()
    {
        var cluster = new TestCluster(configure: c => c with { PreVote = true, CheckQuorum = true });
        cluster.Campaign(0);
        cluster.Propose(0, "x");

        Assert.True(cluster[0].TransferLeadership(2));
        cluster.Stabilize();

        Assert.Equal(2, cluster.Leader());
        Assert.Equal(2, cluster[2].Term);
        Assert.Equal(RaftRole.Follower, cluster[0].Role);
    }

    [Fact]
    public void Transfer_CatchesALaggingTargetUpBeforeTimeoutNow()
    {
        var cluster = new TestCluster(configure: c => c with { PreVote = true, CheckQuorum = true });
        cluster.Campaign(0);
        cluster.Crash(2);
        for (var i = 0; i < 10; i++)
        {
            cluster.Propose(0, $"c{i}");
        }

        cluster.Restart(2);
        var timeoutNowSentAt = -1L;
        cluster.Intercept = m =>
        {
            if (m is TimeoutNow)
            {
                timeoutNowSentAt = cluster[2].LastIndex;
            }

            return m;
        };
        Assert.True(cluster[0].TransferLeadership(2));
        cluster.Stabilize();

        Assert.Equal(11, timeoutNowSentAt);
        Assert.Equal(2, cluster.Leader());
        Assert.Equal("c9", cluster.CommandAt(2, 11));
    }

    [Fact]
    public void Transfer_RefusesProposalsWhileInProgressAndGivesUpAfterAnElectionTimeout()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        cluster.Crash(2);
        Assert.True(cluster[0].TransferLeadership(2));

        var refused = cluster[0].Propose(Kit.Bytes("x"));
        Assert.Equal(ProposeStatus.NotLeader, refused.Status);
        Assert.Equal(2, refused.LeaderHint);

        for (var tick = 0; tick < cluster.Configs[0].ElectionTimeoutMinTicks; tick++)
        {
            cluster[0].Tick();
        }

        Assert.Null(cluster[0].LeadTransferee);
        Assert.True(cluster[0].Propose(Kit.Bytes("x")).IsAccepted);
    }

    [Fact]
    public void Transfer_IsRefusedByNonLeaderOrForSelf()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);

        Assert.False(cluster[1].TransferLeadership(2));
        Assert.False(cluster[0].TransferLeadership(0));
        Assert.False(cluster[0].TransferLeadership(7));
    }
}
