namespace LockService.Raft.Tests.Unit;

/// <summary>Dissertation §6.4: linearizable reads without writing to the log.</summary>
public sealed class ReadIndexTests
{
    [Fact]
    public void ReadIndex_IsReleasedAfterAMajorityAnswersAHeartbeatRound()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        cluster.Propose(0, "x");
        var leader = cluster[0];
        Assert.True(leader.ReadIndex(42));

        var ready = leader.GetReady();
        Assert.Empty(ready.ReadStates);
        Assert.Equal(2, ready.MessagesBeforePersist.OfType<Heartbeat>().Count());
        leader.Advance(ready);
        foreach (var heartbeat in ready.MessagesBeforePersist.OfType<Heartbeat>().Take(1))
        {
            leader.Step(new HeartbeatResponse(heartbeat.To, 0, leader.Term, heartbeat.Round));
        }

        var read = Assert.Single(leader.GetReady().ReadStates);
        Assert.Equal(new ReadState(42, leader.CommitIndex), read);
    }

    [Fact]
    public void ReadIndex_WaitsUntilTheNewLeaderCommittedAnEntryOfItsTerm()
    {
        var cluster = new TestCluster();
        var holdAcks = true;
        cluster.Intercept = m => holdAcks && m is AppendResponse ? null : m;
        cluster.Campaign(0);
        Assert.Equal(0, cluster[0].CommitIndex);
        Assert.True(cluster[0].ReadIndex(7));
        cluster.TickAll();
        Assert.Empty(cluster.Reads[0]);

        holdAcks = false;
        cluster.TickAll(2);
        var read = Assert.Single(cluster.Reads[0]);
        Assert.Equal(7, read.RequestId);
        Assert.Equal(1, read.Index);
    }

    [Fact]
    public void ReadIndex_LeaderCutOffFromTheMajorityNeverServesTheRead()
    {
        var cluster = new TestCluster(configure: c => c with { CheckQuorum = true, PreVote = true });
        cluster.Campaign(0);
        cluster.Isolate(0);
        Assert.True(cluster[0].ReadIndex(1));
        cluster.TickAll(30);

        Assert.Empty(cluster.Reads[0]);
        Assert.NotEqual(RaftRole.Leader, cluster[0].Role);
    }

    [Fact]
    public void ReadIndex_OnAFollowerIsRefused()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);

        Assert.False(cluster[1].ReadIndex(1));
        Assert.Equal(0, cluster[1].LeaderId);
    }
}
