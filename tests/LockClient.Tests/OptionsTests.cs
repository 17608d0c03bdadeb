using LockService.Client.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LockService.Client.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_the_keepalive_interval_is_a_third_of_the_TTL()
    {
        var options = new LockClientOptions();
        Assert.Empty(LockClientOptionsValidator.Check(options));
        Assert.Equal(TimeSpan.FromSeconds(10), options.SessionTtl);
        Assert.Equal(TimeSpan.FromSeconds(10) / 3, options.EffectiveKeepAliveInterval);
    }

    [Theory]
    [InlineData(500, null, "SessionTtl")]
    [InlineData(7_200_000, null, "SessionTtl")]
    [InlineData(10_000, 10_000, "KeepAliveInterval")]
    [InlineData(10_000, 9_850, "KeepAliveInterval")]
    [InlineData(10_000, 0, "KeepAliveInterval")]
    public void Invalid_settings_are_refused_with_a_message_that_says_what_to_change(int ttlMs, int? intervalMs, string property)
    {
        var options = new LockClientOptions
        {
            SessionTtl = TimeSpan.FromMilliseconds(ttlMs),
            KeepAliveInterval = intervalMs is { } i ? TimeSpan.FromMilliseconds(i) : null,
        };

        var failure = Assert.Single(LockClientOptionsValidator.Check(options));
        Assert.Contains(property, failure);
    }

    [Fact]
    public void AddLockClient_validates_the_options()
    {
        var services = new ServiceCollection();
        services.AddLockClient(o => o.SessionTtl = TimeSpan.FromMinutes(90));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<LockClientOptions>>().Value);
        Assert.Contains("SessionTtl", error.Message);
    }

    [Fact]
    public void AddLockClient_without_Orleans_says_what_is_missing()
    {
        var services = new ServiceCollection();
        services.AddLockClient();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ILockClient>());
        Assert.Contains("UseOrleansClient", error.Message);
    }

    [Theory]
    [InlineData(10_000, 0.01, 0)]
    [InlineData(1_000, 0.0, 0)]
    [InlineData(3_000, 0.05, 0)]
    [InlineData(10_000, 0.01, 100)]
    public void The_SDKs_lease_deadline_is_the_services_formula(long ttlMs, double epsilon, long marginMs)
    {
        // Issue 9: LocalLeaseFor and LeaseClock.ClientDeadline were two formulas, 1 ms apart with no margin.
        var options = new LockClientOptions { ClockRateBound = epsilon, LeaseSafetyMargin = TimeSpan.FromMilliseconds(marginMs) };
        var ttl = TimeSpan.FromMilliseconds(ttlMs);
        var sentAt = TimeSpan.FromSeconds(1234.5678);

        Assert.Equal(Leases.LeaseClock.ClientDeadline(sentAt, ttl, epsilon) - options.LeaseSafetyMargin, sentAt + options.LocalLeaseFor(ttl));
        Assert.True(options.LocalLeaseFor(ttl) <= ttl * (1 - epsilon) - TimeSpan.FromMilliseconds(1));
    }
}
