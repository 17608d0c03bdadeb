namespace LockService.Raft.Tests.Unit;

/// <summary>A replica restarts from exactly what it persisted: hard state, snapshot and the log after it.</summary>
public sealed class RestartTests
{
    [Fact]
    public void Restart_RestoresTermVoteCommitAndLogExactly()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        for (var i = 0; i < 5; i++)
        {
            cluster.Propose(0, $"c{i}");
        }

        var before = cluster[1];
        cluster.Restart(1);
        var after = cluster[1];

        Assert.Equal(before.HardState, after.HardState);
        Assert.Equal(before.LastIndex, after.LastIndex);
        Assert.Equal(before.LastTerm, after.LastTerm);
        Assert.Equal(RaftRole.Follower, after.Role);
        Assert.Equal("c4", cluster.CommandAt(1, 6));
    }

    [Fact]
    public void Restart_HandsCommittedEntriesAfterTheSnapshotToTheHostAgain()
    {
        var entries = new[] { 1L, 1, 1, 1 }.Select((t, i) => new LogEntry(i + 4, t, EntryType.Normal, Kit.Bytes($"e{i + 4}"))).ToArray();
        var state = new PersistedState(new HardState(2, 1, 6), new Snapshot(new SnapshotMetadata(3, 1), Kit.Bytes("s")), entries);
        var node = RaftNode.Restart(Kit.Config(0), new Random(1), state);

        Assert.Equal(3, node.SnapshotIndex);
        Assert.Equal(7, node.LastIndex);
        var ready = node.GetReady();
        Assert.Null(ready.HardState);
        Assert.True(ready.EntriesToPersist.IsEmpty);
        Assert.Equal([4L, 5L, 6L], ready.CommittedEntries.ToArray().Select(e => e.Index));
    }

    [Fact]
    public void Restart_RejectsPersistedStateThatCannotBeRight()
    {
        var gap = new[] { new LogEntry(2, 1, EntryType.Normal, default) };
        Assert.Throws<ArgumentException>(() => RaftNode.Restart(Kit.Config(0), new Random(1), new PersistedState(new HardState(1, null, 0), null, gap)));

        var commitBeyondLog = new PersistedState(new HardState(1, null, 5), null, []);
        Assert.Throws<ArgumentException>(() => RaftNode.Restart(Kit.Config(0), new Random(1), commitBeyondLog));

        var termBehindLog = new[] { new LogEntry(1, 3, EntryType.Normal, default) };
        Assert.Throws<ArgumentException>(() => RaftNode.Restart(Kit.Config(0), new Random(1), new PersistedState(new HardState(2, null, 0), null, termBehindLog)));
    }

    [Fact]
    public void Restart_EveryReplicaOfAFiveNodeGroupAndTheGroupCarriesOn()
    {
        var cluster = new TestCluster(5);
        cluster.Campaign(3);
        cluster.Propose(3, "before");
        for (var id = 0; id < 5; id++)
        {
            cluster.Crash(id);
        }

        for (var id = 0; id < 5; id++)
        {
            cluster.Restart(id);
        }

        cluster.Campaign(1);
        Assert.Equal(1, cluster.Leader());
        var after = cluster.Propose(1, "after");
        Assert.Equal(after.Index, cluster[1].CommitIndex);
        Assert.Equal("before", cluster.CommandAt(1, 2));
    }
}
