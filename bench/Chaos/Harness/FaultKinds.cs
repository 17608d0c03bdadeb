namespace LockService.Chaos.Harness;

/// <summary>The names of the nemesis' faults.</summary>
public static class FaultKinds
{
    public const string KillLeader = "kill-leader";
    public const string KillSilo = "kill-silo";

    /// <summary>SIGKILL of the leader's silo and a follower's at the same moment: what a 5-replica group survives.</summary>
    public const string KillTwo = "kill-two";
    public const string PauseLeaderShort = "pause-leader-short";
    public const string PauseLeaderMedium = "pause-leader-medium";
    public const string PauseLeaderLong = "pause-leader-long";
    public const string AzuriteRestart = "azurite-restart";
    public const string PartitionLeader = "partition-leader";
    public const string ClientPause = "client-pause";
}
