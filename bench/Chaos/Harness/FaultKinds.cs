namespace LockService.Chaos.Harness;

/// <summary>The names of the nemesis' faults.</summary>
public static class FaultKinds
{
    public const string KillLeader = "kill-leader";
    public const string KillSilo = "kill-silo";
    public const string PauseLeaderShort = "pause-leader-short";
    public const string PauseLeaderMedium = "pause-leader-medium";
    public const string PauseLeaderLong = "pause-leader-long";
    public const string AzuriteRestart = "azurite-restart";
    public const string PartitionLeader = "partition-leader";
    public const string ClientPause = "client-pause";
}
