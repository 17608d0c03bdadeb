using System.ComponentModel.DataAnnotations;
using LockService.Leases;

namespace LockService.Security;

/// <summary>
/// What one client, and all clients together, may make a lock group do: bound under <c>LockService:ClientLimits</c>.
/// The session caps decide answers in the replicated state, so every silo must use the same values; the rates are
/// each leader's own admission control.
/// </summary>
public sealed class ClientLimitOptions
{
    /// <summary>Open sessions in one group, all clients together.</summary>
    [Range(1, 10_000_000)]
    public int MaxSessionsPerGroup { get; set; } = LeaseLimits.Default.MaxSessions;

    /// <summary>Open sessions of one client identity in one group.</summary>
    [Range(1, 10_000)]
    public int MaxSessionsPerClient { get; set; } = LeaseLimits.Default.MaxSessionsPerClient;

    /// <summary>Waiters queued on one lock.</summary>
    [Range(0, 1_000_000)]
    public int MaxWaitersPerLock { get; set; } = LeaseLimits.Default.MaxWaitersPerLock;

    /// <summary>Requests (proposals and renewals) per second from one client identity, on each group's leader.</summary>
    [Range(1.0, 1_000_000.0)]
    public double RequestsPerClientPerSecond { get; set; } = 500;

    /// <summary>Requests one client identity may send in a burst above the rate.</summary>
    [Range(1.0, 10_000_000.0)]
    public double RequestBurstPerClient { get; set; } = 1_000;

    /// <summary>Sessions one group may open per second, all clients together.</summary>
    [Range(1.0, 1_000_000.0)]
    public double SessionOpensPerSecond { get; set; } = 500;

    /// <summary>Sessions one group may open in a burst above the rate.</summary>
    [Range(1.0, 10_000_000.0)]
    public double SessionOpenBurst { get; set; } = 2_000;

    public IEnumerable<ValidationResult> Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return results;
    }

    internal LeaseLimits ToLeaseLimits() => LeaseLimits.Default with
    {
        MaxSessions = MaxSessionsPerGroup,
        MaxSessionsPerClient = MaxSessionsPerClient,
        MaxWaitersPerLock = MaxWaitersPerLock,
    };
}
