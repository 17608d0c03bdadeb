using LockService.Chaos.Harness;

namespace LockService.Chaos.Tests;

public sealed class ChaosOptionsTests
{
    [Fact]
    public void Three_replicas_by_default_and_the_default_cycle_kills_one_silo_at_a_time()
    {
        var options = ChaosOptions.Parse(["--silos", "5"]);

        Assert.Equal(3, options.Replicas);
        Assert.Equal(ChaosOptions.DefaultFaults, options.Faults);
        Assert.DoesNotContain(FaultKinds.KillTwo, options.Faults);
    }

    [Fact]
    public void Five_replicas_are_shaken_with_two_silos_killed_at_once()
    {
        var options = ChaosOptions.Parse(["--silos", "5", "--replicas", "5"]);

        Assert.Equal(5, options.Replicas);
        Assert.Contains(FaultKinds.KillTwo, options.Faults);
        Assert.Contains(FaultKinds.KillLeader, options.Faults);
    }

    [Fact]
    public void Faults_given_on_the_command_line_win_over_the_five_replica_cycle()
    {
        var options = ChaosOptions.Parse(["--silos", "5", "--replicas", "5", "--faults", "kill-leader,azurite-restart"]);

        Assert.Equal([FaultKinds.KillLeader, FaultKinds.AzuriteRestart], options.Faults);
    }

    [Theory]
    [InlineData("3", "4")]
    [InlineData("3", "5")]
    [InlineData("5", "1")]
    public void Replicas_other_than_3_or_5_or_more_than_the_silos_are_refused(string silos, string replicas)
    {
        var error = Assert.Throws<ArgumentException>(() => ChaosOptions.Parse(["--silos", silos, "--replicas", replicas]));

        Assert.Contains("--replicas", error.Message);
    }
}
