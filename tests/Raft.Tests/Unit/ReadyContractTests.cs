namespace LockService.Raft.Tests.Unit;

/// <summary>The host contract of <see cref="Ready"/> and <see cref="RaftNode.Advance"/>.</summary>
public sealed class ReadyContractTests
{
    [Fact]
    public void Ready_GetReadyTwiceWithoutAdvanceIsAnError()
    {
        var node = Kit.Node();
        Kit.TickUntilCampaign(node);
        var ready = node.GetReady();

        Assert.False(node.HasReady);
        Assert.Throws<InvalidOperationException>(() => node.GetReady());
        node.Advance(ready);
        Assert.Throws<InvalidOperationException>(() => node.Advance(ready));
    }

    [Fact]
    public void Ready_SoftStateIsReportedOnlyWhenItChanges()
    {
        var cluster = new TestCluster();
        var node = cluster[0];
        Kit.TickUntilCampaign(node);
        var ready = node.GetReady();
        Assert.Equal(new SoftState(RaftRole.Candidate, null, 1), ready.SoftState);
        node.Advance(ready);

        node.Step(new VoteResponse(1, 0, 1, false, true));
        ready = node.GetReady();
        Assert.Equal(new SoftState(RaftRole.Leader, 0, 1), ready.SoftState);
        node.Advance(ready);

        node.Tick();
        Assert.Null(node.GetReady().SoftState);
    }

    [Fact]
    public void Ready_StepsBetweenGetReadyAndAdvanceAreKeptForTheNextReady()
    {
        var follower = Kit.Node(1);
        follower.Step(new AppendEntries(0, 1, 1, 0, 0, 0, new[] { new LogEntry(1, 1, EntryType.NoOp, default) }));
        var first = follower.GetReady();
        follower.Step(new AppendEntries(0, 1, 1, 1, 1, 1, new[] { new LogEntry(2, 1, EntryType.Normal, Kit.Bytes("x")) }));
        follower.Advance(first);

        var second = follower.GetReady();
        Assert.Equal(2, second.EntriesToPersist.Span[0].Index);
        Assert.Equal(1, second.CommittedEntries.Length);
        Assert.Single(second.MessagesAfterPersist);
    }

    [Fact]
    public void Ready_HandedOutSlicesNeverChangeWhenTheLogIsOverwritten()
    {
        var follower = Kit.WithLog(1, term: 1, [1]);
        follower.Step(new AppendEntries(0, 1, 1, 1, 1, 0, new[] { new LogEntry(2, 1, EntryType.Normal, Kit.Bytes("old")) }));
        var first = follower.GetReady();
        var handedOut = first.EntriesToPersist;
        follower.Step(new AppendEntries(2, 1, 2, 1, 1, 0, new[] { new LogEntry(2, 2, EntryType.Normal, Kit.Bytes("new")) }));
        follower.Advance(first);

        Assert.Equal("old", System.Text.Encoding.UTF8.GetString(handedOut.Span[0].Data.Span));
        var second = follower.GetReady();
        Assert.Equal((2L, 2L), (second.EntriesToPersist.Span[0].Index, second.EntriesToPersist.Span[0].Term));
    }
}
