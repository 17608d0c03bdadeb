namespace LockService.Chaos.History;

/// <summary>
/// Everything a chaos run recorded, in one place for the checker and the availability report. <see cref="Rejoins"/>
/// are the times a restarted silo answered again (replicas move back to it afterwards). <see cref="Clients"/> is the
/// number of client processes, numbered from 0.
/// </summary>
public sealed record ChaosHistory(
    int Clients,
    long StartTs,
    long EndTs,
    IReadOnlyList<Grant> Grants,
    IReadOnlyList<RegisterOp> Register,
    IReadOnlyList<Fault> Faults,
    IReadOnlyList<long> Rejoins);
