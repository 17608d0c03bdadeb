namespace LockService.Silo.Admin;

/// <summary>Operators' actions over HTTP (force-release, leadership transfer, drain). Bound from "LockService:Admin".</summary>
public sealed class AdminOptions
{
    public const string SectionName = "LockService:Admin";

    /// <summary>
    /// The key an admin request must carry (header <c>X-LockService-Key</c>, or <c>Authorization: Bearer</c>; the lease
    /// pages' forms post it as a field). Unset: admin actions are disabled (403). Use a long random value, and TLS or a
    /// private network: the key travels with every request.
    /// </summary>
    public string? ApiKey { get; set; }
}
