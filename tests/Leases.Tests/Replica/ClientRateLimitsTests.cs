using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>The leader's admission control: token buckets on the replica's own clock, per client and for session openings.</summary>
public sealed class ClientRateLimitsTests
{
    private static readonly ReplicaCoreOptions Options = new()
    {
        ClientRequestsPerSecond = 10,
        ClientRequestBurst = 5,
        SessionOpensPerSecond = 2,
        SessionOpenBurst = 3,
        MaxRateLimitedClients = 4,
    };

    private static readonly TimeSpan Start = TimeSpan.FromSeconds(100);

    [Fact]
    public void A_client_gets_its_burst_then_its_rate()
    {
        var limits = new ClientRateLimits(Options, Start);
        var client = new ClientId(1);

        Assert.All(Enumerable.Range(0, 5), _ => Assert.Null(limits.Admit(client, false, Start)));
        Assert.Contains("requests a second", limits.Admit(client, false, Start));
        Assert.NotNull(limits.Admit(client, false, Start + TimeSpan.FromMilliseconds(50))); // half a token
        Assert.Null(limits.Admit(client, false, Start + TimeSpan.FromMilliseconds(100)));
        Assert.Null(limits.Admit(new ClientId(2), false, Start)); // others are not charged
    }

    [Fact]
    public void Session_openings_are_bounded_for_the_group_whatever_ids_are_made_up()
    {
        var limits = new ClientRateLimits(Options with { MaxRateLimitedClients = 1000 }, Start);

        Assert.All(Enumerable.Range(0, 3), i => Assert.Null(limits.Admit(new ClientId((UInt128)(i + 1)), true, Start)));
        Assert.Contains("sessions a second", limits.Admit(new ClientId(99), true, Start));
        Assert.Null(limits.Admit(new ClientId(100), true, Start + TimeSpan.FromMilliseconds(500)));
    }

    [Fact]
    public void Tracked_clients_are_bounded_and_quiet_ones_are_forgotten()
    {
        var limits = new ClientRateLimits(Options, Start);
        for (var i = 1; i <= 4; i++)
        {
            Assert.Null(limits.Admit(new ClientId((UInt128)i), false, Start));
        }

        Assert.Contains("Too many active clients", limits.Admit(new ClientId(5), false, Start + TimeSpan.FromMilliseconds(10)));
        Assert.Equal(4, limits.TrackedClients);

        // A second later every bucket is full again: the sweep forgets them and the newcomer is admitted.
        Assert.Null(limits.Admit(new ClientId(5), false, Start + TimeSpan.FromSeconds(2)));
        Assert.Equal(1, limits.TrackedClients);
    }
}
