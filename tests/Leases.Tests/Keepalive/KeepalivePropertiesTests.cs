namespace LockService.Leases.Tests.Keepalive;

/// <summary>
/// The two keepalive properties over many seeds of the model: leaders with their own clock rates, random handover
/// gaps, lagging followers, lost appends, restarts, and clients that keep sending or stop.
/// </summary>
public sealed class KeepalivePropertiesTests(ITestOutputHelper output)
{
    private const int Seeds = 300;

    [Fact]
    public void No_early_expiry_and_no_inflation_across_leader_changes()
    {
        var violations = new List<string>();
        int expiries = 0, abandoned = 0, elections = 0;
        var smallestMargin = double.MaxValue;
        var worstInflation = double.MinValue;
        for (var seed = 0; seed < Seeds; seed++)
        {
            var model = new KeepaliveModel(seed);
            model.Run();
            violations.AddRange(model.Violations.Select(v => $"seed {seed}: {v}"));
            expiries += model.ExpiriesChecked;
            abandoned += model.AbandonedChecked;
            elections += model.Elections;
            smallestMargin = Math.Min(smallestMargin, model.SmallestMarginMs);
            worstInflation = Math.Max(worstInflation, model.WorstInflationMs);
        }

        output.WriteLine($"{Seeds} seeds, {elections} elections, {expiries} expiries checked ({abandoned} of stopped clients); " +
                         $"smallest margin after a client's own deadline {smallestMargin:F1} ms; closest to the inflation bound {worstInflation:F1} ms");
        Assert.Empty(violations.Take(20));
        Assert.True(expiries > Seeds, $"only {expiries} expiries: the model does not exercise expiry");
        Assert.True(abandoned > Seeds, $"only {abandoned} stopped clients expired");
        Assert.True(elections > 10 * Seeds, $"only {elections} elections");
    }
}
