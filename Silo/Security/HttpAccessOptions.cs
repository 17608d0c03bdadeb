namespace LockService.Silo.Security;

/// <summary>Who may read the silo's HTTP surface (lease pages, JSON API, dashboard, metrics). Bound from "LockService:Http".</summary>
public sealed class HttpAccessOptions
{
    public const string SectionName = "LockService:Http";

    /// <summary>
    /// When set, every HTTP request except the health probes (<c>/healthz/*</c>) must carry this key or the admin key:
    /// header <c>X-LockService-Key</c>, <c>Authorization: Bearer</c>, or HTTP Basic with the key as the password (what a
    /// browser prompts for). Unset: reads are open, as on a private network. Admin actions always need the admin key.
    /// </summary>
    public string? ReadApiKey { get; set; }
}
