using Microsoft.Extensions.Options;

namespace LockService.Client.Hosting;

/// <summary>Checks <see cref="LockClientOptions"/> when the host starts; each failure says what to change.</summary>
internal sealed class LockClientOptionsValidator : IValidateOptions<LockClientOptions>
{
    public ValidateOptionsResult Validate(string? name, LockClientOptions options)
    {
        var failures = Check(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static IEnumerable<string> Check(LockClientOptions o)
    {
        if (o.SessionTtl < LockClientOptions.MinSessionTtl || o.SessionTtl > LockClientOptions.MaxSessionTtl)
        {
            yield return $"LockClientOptions.SessionTtl is {o.SessionTtl}; set it between {LockClientOptions.MinSessionTtl} and {LockClientOptions.MaxSessionTtl}.";
            yield break;
        }

        if (o.ClockRateBound is < 0 or > LockClientOptions.MaxClockRateBound || double.IsNaN(o.ClockRateBound))
        {
            yield return $"LockClientOptions.ClockRateBound is {o.ClockRateBound}; set it between 0 and {LockClientOptions.MaxClockRateBound} (0.01 means clocks may drift 1 %).";
            yield break;
        }

        if (o.LeaseSafetyMargin < TimeSpan.Zero)
        {
            yield return $"LockClientOptions.LeaseSafetyMargin is {o.LeaseSafetyMargin}; it cannot be negative.";
            yield break;
        }

        var interval = o.EffectiveKeepAliveInterval;
        var localLease = o.LocalLeaseFor(o.SessionTtl);
        if (interval <= TimeSpan.Zero || interval >= o.SessionTtl)
        {
            yield return $"LockClientOptions.KeepAliveInterval is {interval}; it must be positive and shorter than SessionTtl ({o.SessionTtl}). Leave it unset for a third of the TTL.";
        }
        else if (interval >= localLease)
        {
            yield return $"LockClientOptions.KeepAliveInterval ({interval}) leaves no time to renew before the client's own lease ends ({localLease} = SessionTtl·(1 − ClockRateBound) − LeaseSafetyMargin); shorten the interval, lengthen SessionTtl or reduce LeaseSafetyMargin.";
        }
        else if (interval + o.CallTimeout >= localLease)
        {
            // One keepalive caught by a dying silo hangs for CallTimeout; the retry must still land inside the lease.
            yield return $"LockClientOptions.KeepAliveInterval ({interval}) plus CallTimeout ({o.CallTimeout}) reaches the client's own lease ({localLease}): a keepalive stuck on a dying silo would lose the session. Shorten KeepAliveInterval or CallTimeout, or lengthen SessionTtl.";
        }

        if (o.RequestTimeout <= TimeSpan.Zero)
        {
            yield return $"LockClientOptions.RequestTimeout is {o.RequestTimeout}; it must be positive (default 30 s).";
        }

        if (o.CallTimeout <= TimeSpan.Zero)
        {
            yield return $"LockClientOptions.CallTimeout is {o.CallTimeout}; it must be positive (default 1 s).";
        }

        if (o.WaitPollInterval < TimeSpan.FromMilliseconds(10) || o.WaitPollInterval > TimeSpan.FromMinutes(1))
        {
            yield return $"LockClientOptions.WaitPollInterval is {o.WaitPollInterval}; set it between 10 ms and 1 min, below the Orleans response timeout (default 5 s).";
        }
    }
}
