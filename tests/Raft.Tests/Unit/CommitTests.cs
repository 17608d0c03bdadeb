namespace LockService.Raft.Tests.Unit;

/// <summary>Paper §5.4.2 (committing entries from previous terms) and the Figure 8 scenario.</summary>
public sealed class CommitTests
{
    [Fact]
    public void Section5_4_2_NewLeaderAppendsNoOpAtStartOfItsTerm()
    {
        var cluster = new TestCluster();
        cluster.Campaign(1);

        var entry = cluster[1].Log.EntryAt(1);
        Assert.Equal(EntryType.NoOp, entry.Type);
        Assert.Equal(cluster[1].Term, entry.Term);
        Assert.All(cluster.Nodes, n => Assert.Equal(1, n.CommitIndex));
    }

    [Fact]
    public void Section5_4_2_EntryCommitsOnceAMajorityHoldsIt()
    {
        var cluster = new TestCluster(5);
        cluster.Campaign(0);
        cluster.Isolate(3);
        cluster.Isolate(4);
        var result = cluster.Propose(0, "x");

        Assert.Equal(result.Index, cluster[0].CommitIndex);
        Assert.Equal("x", cluster.CommandAt(1, result.Index));
        Assert.Contains(cluster.Applied[0], e => e.Index == result.Index);
    }

    [Fact]
    public void Section5_4_2_EntryOnMinorityDoesNotCommit()
    {
        var cluster = new TestCluster(5);
        cluster.Campaign(0);
        cluster.Isolate(2);
        cluster.Isolate(3);
        cluster.Isolate(4);
        var result = cluster.Propose(0, "x");

        Assert.True(cluster[0].CommitIndex < result.Index);
    }

    /// <summary>
    /// Figure 8: an entry of an earlier term that reached a majority is not committed by counting, because a node
    /// with a later-term entry at that index could still win and overwrite it. It commits with the first entry of the
    /// leader's own term.
    /// </summary>
    [Fact]
    public void Figure8_LeaderDoesNotCommitEarlierTermEntryByCountingReplicas()
    {
        var cluster = new TestCluster(5);

        // (a) S0 leads term 1; entry "a"@1 at index 2 reaches only S1.
        cluster.Campaign(0);
        for (var id = 2; id < 5; id++)
        {
            cluster.Isolate(id);
        }

        cluster.Propose(0, "a");
        Assert.Equal("a", cluster.CommandAt(1, 2));

        // (b) S4 is elected in term 2 by S2, S3 and itself, appends its no-op at index 2, and replicates nothing.
        cluster.Heal();
        cluster.Isolate(0);
        cluster.Isolate(1);
        cluster.Intercept = m => m is AppendEntries { From: 4 } ? null : m;
        cluster.Campaign(4);
        Assert.Equal(RaftRole.Leader, cluster[4].Role);
        Assert.Equal(2, cluster[4].LastTerm);

        // (c) S4 stops; S0 is elected in term 3 (S1, S2, S3 vote) and copies "a"@1 (index 2) to S2 but not yet its own
        // term-3 no-op (index 3). "a" is now on S0, S1, S2, S3: a majority, but of an earlier term.
        cluster.Crash(4);
        cluster.Heal();
        cluster[0].Step(new HeartbeatResponse(2, 0, 2, 0));
        cluster.Intercept = m =>
        {
            if (m is not AppendEntries { From: 0, To: 2 or 3 } append)
            {
                return m;
            }

            // Only the entries of earlier terms get through (and no news of commits).
            var older = append.Entries.ToArray().TakeWhile(e => e.Term < 3).ToArray();
            return append with { Entries = older, LeaderCommit = 1 };
        };
        cluster.Campaign(0);
        Assert.Equal(RaftRole.Leader, cluster[0].Role);
        Assert.Equal(3, cluster[0].Term);
        Assert.Equal("a", cluster.CommandAt(2, 2));
        Assert.Equal(1, cluster[0].CommitIndex);

        // (d) Had S0 committed it, this would lose a committed entry: S4 can still win term 4 with S2 and S3
        // (its last term 2 beats their last term 1) and overwrite index 2 with its own entry.
        var (s2, s3) = (cluster[2].Log.LastTerm, cluster[3].Log.LastTerm);
        Assert.True(s2 < cluster[4].LastTerm && s3 < cluster[4].LastTerm);

        // (e) Once S0's term-3 entry reaches a majority, index 2 and 3 commit together; S4 can no longer win.
        cluster.Intercept = null;
        cluster.TickAll();
        Assert.Equal(3, cluster[0].CommitIndex);
        Assert.Equal("a", cluster.CommandAt(0, 2));
        cluster.Isolate(0);
        cluster.Isolate(1);
        cluster.Restart(4);
        cluster.Campaign(4);
        Assert.NotEqual(RaftRole.Leader, cluster[4].Role);
    }
}
