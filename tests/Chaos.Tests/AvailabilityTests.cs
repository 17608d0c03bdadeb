using LockService.Chaos.History;
using static LockService.Chaos.Tests.HistoryBuilder;

namespace LockService.Chaos.Tests;

public sealed class AvailabilityTests
{
    [Fact]
    public void After_a_heal_the_service_gap_is_the_first_grant_by_any_client_and_the_client_gap_the_last()
    {
        // Storage heals at 1000 ms; client 1 gets a grant 300 ms later, client 0 only 900 ms later.
        var history = new HistoryBuilder()
            .Cycle(0, "a", T(1, 1), 0, 10)
            .Fault("azurite-restart", 500, 1000)
            .Grant(1, "b", T(2, 5), 600, 1300, 1310, released: true)
            .Grant(0, "a", T(2, 6), 700, 1900, 1910, released: true)
            .Build(3000);

        var gaps = AvailabilityReport.Compute(history).Gaps.Where(g => g.Kind == "azurite-restart").ToDictionary(g => g.Measure);

        Assert.Equal(300, gaps[AvailabilityReport.HealToService].MaxMs, precision: 3);
        Assert.Equal(900, gaps[AvailabilityReport.HealToAcquire].MaxMs, precision: 3);
    }
}
