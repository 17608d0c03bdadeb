using LockService.Client;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>The replicas of a group compact their logs one at a time, each at its own phase of the period.</summary>
public sealed class CompactionPhaseTests
{
    private const int Every = 30;
    private static readonly ClientId Client = new(7);

    [Fact]
    public void Each_replica_compacts_at_its_own_phase_and_never_more_than_a_period_apart()
    {
        var trio = new ReplicaTrio(new ReplicaCoreOptions { SnapshotEveryEntries = Every });
        var sequence = 1UL;
        var session = ((ReplicaReply.Session)trio.Send(new ReplicaRequest.OpenSession(new RequestId(Client, sequence++), 0, 10_000))).Id;
        for (var i = 0; i < 150; i++)
        {
            var held = (ReplicaReply.Acquire)trio.Send(new ReplicaRequest.Acquire(
                new RequestId(Client, sequence), sequence - 1, session, "phase", LockMode.Exclusive, 0, PollMs: 1));
            sequence++;
            Assert.Equal(ReplyCode.Granted, held.Code);
            trio.Send(new ReplicaRequest.Release(new RequestId(Client, sequence), sequence - 1, session, "phase", held.Token));
            sequence++;
        }

        var compactions = Enumerable.Range(0, 3)
            .Select(r => trio.Events.Where(e => e.Replica == r).Select(e => e.Event).OfType<ReplicaEvent.Compacted>().Select(c => c.Index).ToArray())
            .ToArray();
        for (var r = 0; r < 3; r++)
        {
            Assert.True(compactions[r].Length >= 8, $"replica {r} compacted {compactions[r].Length} times");
            var since = 0L;
            foreach (var index in compactions[r])
            {
                Assert.InRange(index - since, Every / 2, Every + 2); // + the entries applied with the one that crossed
                since = index;
            }

            // After its first, each compaction lands just past the replica's own point k * 30 + r * 10.
            Assert.All(compactions[r].Skip(1), index => Assert.InRange(((index - (r * Every / 3)) % Every + Every) % Every, 0, 2));
        }

        Assert.Empty(compactions[0].Intersect(compactions[1]));
        Assert.Empty(compactions[1].Intersect(compactions[2]));
        Assert.Empty(compactions[0].Intersect(compactions[2]));
    }
}
