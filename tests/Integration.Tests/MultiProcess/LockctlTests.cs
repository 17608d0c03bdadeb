using System.Diagnostics;
using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.MultiProcess;

/// <summary>lockctl as a script uses it, against silo processes: two acquires of one lock take turns, FIFO, with rising tokens.</summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class LockctlTests(AzuriteFixture azurite)
{
    [Fact(Timeout = 300_000)]
    public async Task A_second_acquire_waits_for_the_first_to_exit_and_gets_a_higher_token()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await SiloProcessCluster.StartAsync(new SiloProcessOptions { StorageConnectionString = azurite.ConnectionString, StartTimeout = TimeSpan.FromSeconds(150) }, ct);
        using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(), cancellationToken: ct);
        var locks = client.Services.GetRequiredService<ILockClient>();
        await new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>()).WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(60), cancellationToken: ct);

        // The first holds until its standard input closes; the second waits up to a minute.
        using var first = Start(cluster, "acquire", "jobs/nightly", "--timeout", "20s");
        var firstToken = await ReadTokenAsync(first, ct);

        using var second = Start(cluster, "acquire", "jobs/nightly", "--timeout", "60s", "--hold", "0s");
        await Eventually.Until(() => locks.DescribeAsync("jobs/nightly", ct), info => info?.Waiters.Count == 1, "the second lockctl is queued", TimeSpan.FromSeconds(90)); // a process start: slow on a loaded machine
        Assert.False(second.HasExited);

        first.StandardInput.Close(); // the first lets go: releases and exits
        await first.WaitForExitAsync(ct);
        Assert.Equal(0, first.ExitCode);

        var secondToken = await ReadTokenAsync(second, ct);
        await second.WaitForExitAsync(ct);
        Assert.Equal(0, second.ExitCode);
        Assert.True(secondToken > firstToken, $"{secondToken} should exceed {firstToken}");

        // describe and is-current agree that the lock is free again and the old token is stale.
        using var check = Start(cluster, "is-current", "jobs/nightly", secondToken.ToString());
        await check.WaitForExitAsync(ct);
        Assert.Equal(5, check.ExitCode);
        await locks.DisposeAsync();
    }

    private static async Task<FencingToken> ReadTokenAsync(Process process, CancellationToken ct)
    {
        while (await process.StandardOutput.ReadLineAsync(ct) is { } line)
        {
            var marker = line.IndexOf(" token ", StringComparison.Ordinal);
            if (line.StartsWith("acquired ", StringComparison.Ordinal) && marker > 0)
            {
                return FencingToken.Parse(line[(marker + " token ".Length)..]);
            }
        }

        throw new InvalidOperationException($"lockctl exited ({process.ExitCode}) without acquiring: {await process.StandardError.ReadToEndAsync(ct)}");
    }

    private static Process Start(SiloProcessCluster cluster, params string[] arguments) => Lockctl.Start(cluster, arguments);
}
