namespace LockService.Raft.Tests.Unit;

/// <summary>Paper §5.3 (log replication) with batching, pipelining and fast backtracking.</summary>
public sealed class ReplicationTests
{
    private static readonly ReadOnlyMemory<LogEntry> NoEntries = ReadOnlyMemory<LogEntry>.Empty;

    private static LogEntry Entry(long index, long term, string data = "x") => new(index, term, EntryType.Normal, Kit.Bytes(data));

    [Fact]
    public void Section5_3_FollowerRejectsAppendWhenConsistencyCheckFails()
    {
        var follower = Kit.WithLog(1, term: 2, [1, 1]);
        follower.Step(new AppendEntries(0, 1, 2, 2, 2, 0, new[] { Entry(3, 2) }));

        var answer = Assert.Single(Kit.Sent<AppendResponse>(follower));
        Assert.True(answer.Reject);
        Assert.Equal(2, answer.Index);
        Assert.Equal(2, follower.LastIndex);
    }

    [Fact]
    public void Section5_3_FollowerDeletesConflictingSuffixAndAppendsLeaderEntries()
    {
        var follower = Kit.WithLog(1, term: 3, [1, 2, 2, 2]);
        follower.Step(new AppendEntries(0, 1, 3, 1, 1, 0, new[] { Entry(2, 3, "a"), Entry(3, 3, "b") }));

        Assert.False(Assert.Single(Kit.Sent<AppendResponse>(follower)).Reject);
        Assert.Equal(3, follower.LastIndex);
        Assert.Equal(3, follower.LastTerm);
    }

    [Fact]
    public void Section5_3_HostIsToldToOverwriteFromTheFirstConflictingIndex()
    {
        var follower = Kit.WithLog(1, term: 3, [1, 2, 2, 2]);
        follower.Step(new AppendEntries(0, 1, 3, 1, 1, 0, new[] { Entry(2, 2, "e2"), Entry(3, 3, "b") }));

        var ready = follower.GetReady();
        Assert.Equal([3L], ready.EntriesToPersist.ToArray().Select(e => e.Index));
        Assert.Equal(3, ready.EntriesToPersist.Span[0].Term);
    }

    [Fact]
    public void Section5_3_LateDuplicateAppendDoesNotTruncateNewerEntries()
    {
        var follower = Kit.WithLog(1, term: 2, [1, 2, 2, 2]);
        follower.Step(new AppendEntries(0, 1, 2, 1, 1, 0, new[] { Entry(2, 2, "e2") }));

        Assert.Equal(4, follower.LastIndex);
        Assert.Equal(2, Assert.Single(Kit.Sent<AppendResponse>(follower)).Index);
    }

    [Fact]
    public void Section5_3_FollowerLearnsCommitIndexOnlyUpToWhatTheAppendProved()
    {
        var follower = Kit.WithLog(1, term: 2, [1, 1, 1]);
        follower.Step(new AppendEntries(0, 1, 2, 1, 1, 3, new[] { Entry(2, 1, "e2") }));

        // The leader committed 3, but this append proved the logs equal only up to 2.
        Assert.Equal(2, follower.CommitIndex);
    }

    [Fact]
    public void Section5_3_RejectionCarriesConflictHintSoLeaderSkipsWholeTerms()
    {
        // Follower's log: terms 1 1 2 2 2 2 2 (a stale leader's tail); leader's log: 1 1 3 3 3 3 3 3 3 3.
        var follower = Kit.WithLog(1, term: 3, [1, 1, 2, 2, 2, 2, 2]);
        follower.Step(new AppendEntries(0, 1, 3, 10, 3, 0, NoEntries));
        var rejection = Assert.Single(Kit.Sent<AppendResponse>(follower));
        Assert.True(rejection.Reject);
        Assert.Equal((7L, 2L), (rejection.ConflictIndex, rejection.ConflictTerm));

        // The leader's last entry at or before 7 with a term of at most 2 is index 2 (its log: 1 1 3 3 ...):
        // its next probe goes straight there instead of one index at a time, and the follower's tail is replaced.
        follower.Step(new AppendEntries(0, 1, 3, 2, 1, 0, new[] { Entry(3, 3, "a"), Entry(4, 3, "b") }));
        Assert.False(Assert.Single(Kit.Sent<AppendResponse>(follower)).Reject);
        Assert.Equal((4L, 3L), (follower.LastIndex, follower.LastTerm));
    }

    [Fact]
    public void Section5_3_LeaderRepairsDivergentFollowerInFewRoundTrips()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        cluster.Isolate(2);
        for (var i = 0; i < 30; i++)
        {
            cluster.Propose(0, $"a{i}");
        }

        // Node 2 alone becomes candidate repeatedly and then leader of a fresh term with a divergent tail.
        cluster.Heal();
        cluster.Isolate(0);
        cluster.Crash(0);
        cluster.Campaign(1);
        Assert.Equal(1, cluster.Leader());
        var before = cluster.MessagesDelivered;
        cluster.Stabilize();
        Assert.Equal(cluster[1].LastIndex, cluster[2].LastIndex);
        Assert.True(cluster.MessagesDelivered - before < 20);
    }

    [Fact]
    public void Section5_3_SeveralEntriesPerMessageWithinEntryAndByteLimits()
    {
        var cluster = new TestCluster(configure: c => c with { MaxEntriesPerMessage = 4, MaxBytesPerMessage = 1_000 });
        cluster.Campaign(0);
        var leader = cluster[0];
        var commands = Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)new byte[10]).ToArray();
        leader.Propose(commands);

        var appends = Kit.Sent<AppendEntries>(leader).Where(a => a.To == 1).ToList();
        Assert.Equal([4, 4, 2], appends.Select(a => a.Entries.Length));

        var big = new TestCluster(configure: c => c with { MaxEntriesPerMessage = 100, MaxBytesPerMessage = 100 });
        big.Campaign(0);
        big[0].Propose(Enumerable.Range(0, 6).Select(i => (ReadOnlyMemory<byte>)new byte[30]).ToArray());
        Assert.All(Kit.Sent<AppendEntries>(big[0]), a => Assert.InRange(a.Entries.Length, 1, 2));
    }

    [Fact]
    public void Section5_3_PipelinedAppendsAreBoundedByMaxInflightAppends()
    {
        var cluster = new TestCluster(configure: c => c with { MaxEntriesPerMessage = 1, MaxInflightAppends = 3 });
        cluster.Campaign(0);
        var leader = cluster[0];
        leader.Propose(Enumerable.Range(0, 10).Select(i => (ReadOnlyMemory<byte>)Kit.Bytes($"c{i}")).ToArray());

        var appends = Kit.Sent<AppendEntries>(leader).Where(a => a.To == 1).ToList();
        Assert.Equal(3, appends.Count);
        Assert.Equal([2L, 3L, 4L], appends.Select(a => a.PrevLogIndex + 1));
    }

    [Fact]
    public void Section5_3_LeaderSendsAppendsBeforeItsOwnWriteIsDurableButCountsItselfOnlyAfter()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        var leader = cluster[0];
        var accepted = leader.Propose(Kit.Bytes("x"));

        var ready = leader.GetReady();
        Assert.Equal(2, ready.MessagesBeforePersist.OfType<AppendEntries>().Count());
        Assert.Equal(accepted.Index, ready.EntriesToPersist.Span[^1].Index);

        // One follower acknowledges before the leader's own write is done: leader + 1 of 3 would be a majority,
        // but the leader's copy is not durable yet, so nothing commits.
        leader.Step(new AppendResponse(1, 0, leader.Term, false, accepted.Index, 0, 0));
        Assert.True(leader.CommitIndex < accepted.Index);

        leader.Advance(ready);
        Assert.Equal(accepted.Index, leader.CommitIndex);
    }

    [Fact]
    public void Section5_3_AcknowledgementIsSentOnlyAfterFollowerPersisted()
    {
        var follower = Kit.WithLog(1, term: 1, [1]);
        follower.Step(new AppendEntries(0, 1, 1, 1, 1, 0, new[] { Entry(2, 1) }));

        var ready = follower.GetReady();
        Assert.Empty(ready.MessagesBeforePersist);
        Assert.IsType<AppendResponse>(Assert.Single(ready.MessagesAfterPersist));
        Assert.Equal(1, ready.EntriesToPersist.Length);
    }

    [Fact]
    public void Section5_3_ReplicationRecoversFromLostMessagesThroughHeartbeats()
    {
        var cluster = new TestCluster();
        cluster.Campaign(0);
        var drop = true;
        cluster.Intercept = m => drop && m is AppendEntries or AppendResponse ? null : m;
        for (var i = 0; i < 5; i++)
        {
            cluster.Propose(0, $"lost{i}");
        }

        drop = false;
        cluster.TickAll(3);
        Assert.Equal(cluster[0].LastIndex, cluster[0].CommitIndex);
        Assert.All(cluster.Nodes, n => Assert.Equal(cluster[0].LastIndex, n.CommitIndex));
    }
}
