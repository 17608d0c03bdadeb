namespace LockService.Raft.Tests.Unit;

public sealed class QuorumTests
{
    [Theory]
    [InlineData(new long[] { 5, 3, 4 }, 4)]
    [InlineData(new long[] { 1, 1, 9 }, 1)]
    [InlineData(new long[] { 9, 8, 7, 2, 1 }, 7)]
    [InlineData(new long[] { 0, 0, 0, 10, 10 }, 0)]
    public void CommittedIndex_IsTheHighestIndexAMajorityHolds(long[] matches, long expected) =>
        Assert.Equal(expected, Quorum.CommittedIndex(matches.AsSpan()));

    [Theory]
    [InlineData(2, 0, 3, "Won")]
    [InlineData(1, 2, 3, "Lost")]
    [InlineData(1, 1, 3, "Pending")]
    [InlineData(2, 2, 5, "Pending")]
    [InlineData(2, 3, 5, "Lost")]
    public void Tally_NeedsAMajorityOfAllVoters(int granted, int rejected, int voters, string expected) =>
        Assert.Equal(expected, Quorum.Tally(granted, rejected, voters).ToString());
}
