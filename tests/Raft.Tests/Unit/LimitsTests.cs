namespace LockService.Raft.Tests.Unit;

/// <summary>Configured limits are asserted, and proposals beyond the uncommitted budget are refused.</summary>
public sealed class LimitsTests
{
    public static TheoryData<string> InvalidConfigs => new()
    {
        nameof(RaftConfig.Voters),
        nameof(RaftConfig.Id),
        nameof(RaftConfig.HeartbeatTicks),
        nameof(RaftConfig.ElectionTimeoutMinTicks),
        nameof(RaftConfig.ElectionTimeoutMaxTicks),
        nameof(RaftConfig.MaxEntriesPerMessage),
        nameof(RaftConfig.MaxBytesPerMessage),
        nameof(RaftConfig.MaxInflightAppends),
        nameof(RaftConfig.MaxUncommittedBytes),
        nameof(RaftConfig.SnapshotChunkBytes),
    };

    [Theory]
    [MemberData(nameof(InvalidConfigs))]
    public void Config_OutOfRangeSettingIsRejectedByName(string setting)
    {
        var valid = Kit.Config(0);
        var invalid = setting switch
        {
            nameof(RaftConfig.Voters) => valid with { Voters = [0, 1, 2, 3] },
            nameof(RaftConfig.Id) => valid with { Id = 3 },
            nameof(RaftConfig.HeartbeatTicks) => valid with { HeartbeatTicks = 0 },
            nameof(RaftConfig.ElectionTimeoutMinTicks) => valid with { ElectionTimeoutMinTicks = 1 },
            nameof(RaftConfig.ElectionTimeoutMaxTicks) => valid with { ElectionTimeoutMaxTicks = 6 },
            nameof(RaftConfig.MaxEntriesPerMessage) => valid with { MaxEntriesPerMessage = 0 },
            nameof(RaftConfig.MaxBytesPerMessage) => valid with { MaxBytesPerMessage = 0 },
            nameof(RaftConfig.MaxInflightAppends) => valid with { MaxInflightAppends = 0 },
            nameof(RaftConfig.MaxUncommittedBytes) => valid with { MaxUncommittedBytes = 0 },
            _ => valid with { SnapshotChunkBytes = 0 },
        };

        var error = Assert.Throws<ArgumentException>(() => new RaftNode(invalid, new Random(1)));
        Assert.Equal(setting, error.ParamName);
    }

    [Fact]
    public void Config_VotersMustBeZeroToNMinusOne()
    {
        Assert.Throws<ArgumentException>(() => new RaftNode(Kit.Config(0) with { Voters = [0, 1, 5] }, new Random(1)));
        new RaftNode(Kit.Config(4, 5), new Random(1));
    }

    [Fact]
    public void Overloaded_ProposalsBeyondMaxUncommittedBytesAreRefusedUntilCommitsCatchUp()
    {
        var cluster = new TestCluster(configure: c => c with { MaxUncommittedBytes = 200 });
        cluster.Campaign(0);
        cluster.Isolate(0);
        var leader = cluster[0];
        var statuses = Enumerable.Range(0, 6).Select(_ => leader.Propose(new byte[50]).Status).ToList();

        Assert.Equal(
            [ProposeStatus.Accepted, ProposeStatus.Accepted, ProposeStatus.Accepted, ProposeStatus.Overloaded, ProposeStatus.Overloaded, ProposeStatus.Overloaded],
            statuses);
        Assert.Equal(0, leader.Propose(new byte[50]).LeaderHint);

        cluster.Heal();
        cluster.TickAll(2);
        Assert.Equal(leader.LastIndex, leader.CommitIndex);
        Assert.True(leader.Propose(new byte[50]).IsAccepted);
    }

    [Fact]
    public void Propose_OnFollowerReturnsNotLeaderWithLeaderHint()
    {
        var cluster = new TestCluster();
        cluster.Campaign(2);

        var result = cluster[0].Propose(Kit.Bytes("x"));
        Assert.Equal(ProposeStatus.NotLeader, result.Status);
        Assert.Equal(2, result.LeaderHint);
    }

    [Fact]
    public void Propose_BatchGetsConsecutiveIndexesInOneAppendPerFollower()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        var batch = Enumerable.Range(0, 64).Select(_ => (ReadOnlyMemory<byte>)new byte[64]).ToArray();

        var result = cluster[0].Propose(batch);

        Assert.Equal(2, result.Index);
        Assert.Equal(65, cluster[0].LastIndex);
        var appends = Kit.Sent<AppendEntries>(cluster[0]);
        Assert.Equal(2, appends.Count);
        Assert.All(appends, a => Assert.Equal(64, a.Entries.Length));
    }
}
