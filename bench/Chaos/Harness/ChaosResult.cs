using LockService.Chaos.History;

namespace LockService.Chaos.Harness;

/// <summary>What a run found: the checker's verdict, the availability figures, and counts to judge the run by.</summary>
public sealed record ChaosResult(
    IReadOnlyList<Violation> Violations, AvailabilityReport Availability, ChaosHistory History, int SiloRestarts,
    IReadOnlyDictionary<string, int> Failures, string OutDirectory)
{
    public bool Safe => Violations.All(v => v.Kind == Violation.NoProgress);
}
