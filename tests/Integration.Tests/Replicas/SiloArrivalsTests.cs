using System.Net;
using LockService.Placement;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace LockService.Integration.Tests.Replicas;

/// <summary>A replica on a settled silo waits before it moves onto a silo that has just joined; a new cluster spreads at once.</summary>
public sealed class SiloArrivalsTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(5);

    private static SiloAddress Silo(int port, int generation = 1) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    [Fact]
    public void A_replica_on_a_settled_silo_waits_until_a_returning_silo_has_been_active_for_the_delay()
    {
        var time = new FakeTimeProvider();
        var (here, other, home) = (Silo(11_000), Silo(11_001), Silo(11_002));
        var arrivals = new SiloArrivals(time, localUptime: TimeSpan.Zero);
        arrivals.Observe([here, other], here);
        time.Advance(TimeSpan.FromMinutes(1));

        var returned = Silo(11_002, generation: 2);
        arrivals.Observe([here, other, returned], here);
        Assert.True(arrivals.TooSoonToMove(here, returned, Delay));

        time.Advance(Delay - TimeSpan.FromMilliseconds(1));
        arrivals.Observe([here, other, returned], here);
        Assert.True(arrivals.TooSoonToMove(here, returned, Delay));

        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.False(arrivals.TooSoonToMove(here, returned, Delay));
        Assert.Equal(TimeSpan.Zero, arrivals.ActiveFor(home)); // never seen active: the old generation
    }

    [Fact]
    public void When_this_silo_is_new_as_well_replicas_move_at_once()
    {
        var time = new FakeTimeProvider();
        var (first, second) = (Silo(11_000), Silo(11_001));
        var arrivals = new SiloArrivals(time, localUptime: TimeSpan.FromSeconds(1));
        arrivals.Observe([first, second], first);

        Assert.False(arrivals.TooSoonToMove(first, second, Delay));
    }

    [Fact]
    public void This_silo_counts_from_its_start_not_from_its_first_look()
    {
        // A replica reactivated on a silo that restarted 10 s ago looks for the first time as its home returns.
        var time = new FakeTimeProvider();
        var (here, home) = (Silo(11_000), Silo(11_001, generation: 2));
        var arrivals = new SiloArrivals(time, localUptime: TimeSpan.FromSeconds(10));
        arrivals.Observe([here, home], here);

        Assert.True(arrivals.TooSoonToMove(here, home, Delay));
    }

    [Fact]
    public void A_silo_that_left_and_returns_counts_from_its_return()
    {
        var time = new FakeTimeProvider();
        var (here, away) = (Silo(11_000), Silo(11_001));
        var arrivals = new SiloArrivals(time, localUptime: TimeSpan.Zero);
        arrivals.Observe([here, away], here);
        time.Advance(TimeSpan.FromMinutes(1));

        arrivals.Observe([here], here); // declared dead, then active again under the same address
        arrivals.Observe([here, away], here);

        Assert.Equal(TimeSpan.Zero, arrivals.ActiveFor(away));
        Assert.True(arrivals.TooSoonToMove(here, away, Delay));
    }
}
