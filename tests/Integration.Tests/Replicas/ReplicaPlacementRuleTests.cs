using System.Net;
using LockService.Placement;
using Orleans.Runtime;

namespace LockService.Integration.Tests.Replicas;

/// <summary>
/// The placement rule alone, over made-up membership views: distinct silos, and a fault moves only the replicas it
/// has to (the rule it replaced re-ranked the survivors, so one dead silo moved healthy replicas and leaders twice).
/// </summary>
public sealed class ReplicaPlacementRuleTests
{
    private static SiloAddress Silo(int port, int generation = 1) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    private static string[] Place(int group, int replicas, SiloAddress[] active, SiloAddress[] known, DrainedSilos? drained = null) =>
        Enumerable.Range(0, replicas)
            .Select(r => DrainedSilos.EndpointOf(ReplicaPlacement.DesiredSilo(group, r, replicas, active, known, drained ?? DrainedSilos.None)!))
            .ToArray();

    public static TheoryData<int, int> Shapes() => new() { { 3, 3 }, { 3, 4 }, { 3, 7 }, { 5, 5 }, { 5, 8 } };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Replicas_of_a_group_take_distinct_silos_when_there_are_enough(int replicas, int silos)
    {
        var all = Enumerable.Range(0, silos).Select(i => Silo(11_000 + i)).ToArray();
        for (var group = 0; group < 50; group++)
        {
            var placed = Place(group, replicas, all, all);
            Assert.Equal(replicas, placed.Distinct().Count());
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_dead_silo_moves_only_its_own_replicas_and_its_return_brings_exactly_them_back(int replicas, int silos)
    {
        var all = Enumerable.Range(0, silos).Select(i => Silo(11_000 + i)).ToArray();
        for (var group = 0; group < 50; group++)
        {
            var before = Place(group, replicas, all, all);
            foreach (var dead in all)
            {
                var survivors = all.Where(s => s != dead).ToArray();
                var during = Place(group, replicas, survivors, all); // the dead silo stays in the table, marked dead
                for (var r = 0; r < replicas; r++)
                {
                    if (before[r] != DrainedSilos.EndpointOf(dead))
                    {
                        Assert.Equal(before[r], during[r]);
                    }
                    else
                    {
                        Assert.NotEqual(before[r], during[r]);
                    }
                }

                // Each survivor holds as many of the group's replicas as any other, give or take one.
                var load = survivors.Select(s => during.Count(p => p == DrainedSilos.EndpointOf(s))).ToArray();
                Assert.True(load.Max() - load.Min() <= 1, $"group {group}: loads {string.Join(",", load)}");

                // The silo restarts on its endpoint with a new generation; the old one stays listed as dead.
                var restarted = Silo(dead.Endpoint.Port, generation: 2);
                var back = Place(group, replicas, [.. survivors, restarted], [.. all, restarted]);
                Assert.Equal(before, back);
            }
        }
    }

    [Fact]
    public void A_drained_silo_is_left_empty_while_others_can_take_its_replicas()
    {
        var all = Enumerable.Range(0, 4).Select(i => Silo(11_000 + i)).ToArray();
        var drained = new DrainedSilos([DrainedSilos.EndpointOf(all[0])]);
        for (var group = 0; group < 50; group++)
        {
            var placed = Place(group, 3, drained.Eligible(all).ToArray(), all, drained);
            Assert.DoesNotContain(DrainedSilos.EndpointOf(all[0]), placed);
            Assert.Equal(3, placed.Distinct().Count());
        }

        // Every silo drained: replicas stay placed rather than nowhere.
        var everyone = new DrainedSilos(all.Select(DrainedSilos.EndpointOf).ToArray());
        Assert.Equal(3, Place(0, 3, everyone.Eligible(all).ToArray(), all, everyone).Distinct().Count());
    }

    [Fact]
    public void Groups_spread_their_replicas_over_all_silos()
    {
        var all = Enumerable.Range(0, 5).Select(i => Silo(11_000 + i)).ToArray();
        var perSilo = all.ToDictionary(DrainedSilos.EndpointOf, _ => 0);
        for (var group = 0; group < 100; group++)
        {
            foreach (var endpoint in Place(group, 3, all, all))
            {
                perSilo[endpoint]++;
            }
        }

        // 300 replicas over 5 silos: 60 each on average; rendezvous hashing keeps every silo well within a half of it.
        Assert.All(perSilo.Values, n => Assert.InRange(n, 30, 90));
    }

    [Fact]
    public void Nothing_is_placed_when_no_silo_is_active() =>
        Assert.Null(ReplicaPlacement.DesiredSilo(0, 0, 3, [], [Silo(11_000)], DrainedSilos.None));
}
