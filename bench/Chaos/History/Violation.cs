namespace LockService.Chaos.History;

/// <summary>A safety or liveness property the history breaks; <see cref="Kind"/> names the property.</summary>
public sealed record Violation(string Kind, string Detail)
{
    public const string StaleTokenAccepted = "stale-token-accepted";
    public const string LostUpdate = "lost-update";
    public const string TokenOrder = "token-order";
    public const string DuplicateToken = "duplicate-token";
    public const string TwoHolders = "two-holders";
    public const string NoProgress = "no-progress";

    public override string ToString() => $"{Kind}: {Detail}";
}
