using System.Text;
using Azure;
using LockService.Hosting;
using LockService.Storage;
using LockService.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LockService.Integration.Tests.Storage;

/// <summary>A replica activation waits for storage that does not answer, and loads as soon as it does.</summary>
public sealed class StorageOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_activation_waits_for_storage_to_come_up_and_then_loads()
    {
        var ports = AzuriteScript.FreePorts(3);
        int blob = ports[0], queue = ports[1], table = ports[2];
        var options = new LockServiceOptions { StorageConnectionString = AzuriteScript.ConnectionString(blob, queue, table), StorageTimeout = TimeSpan.FromSeconds(2) };
        var storage = new LockServiceStorage(Options.Create(options));
        var (log, snapshots) = storage.ForReplica(0);
        var loads = 0;
        var probes = 0;
        var probing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var open = StorageOutage.RetryAsync(
            token =>
            {
                loads++;
                return ReplicaStore.OpenAsync(log, snapshots, "0/0", NullLogger.Instance, token);
            },
            token =>
            {
                probing.TrySetResult();
                probes++;
                return storage.ProbeAsync(0, token);
            },
            "0/0",
            NullLogger.Instance,
            Ct);

        await probing.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct); // the first load found nothing listening
        Assert.False(open.IsCompleted);
        var (pid, _) = await AzuriteScript.StartAsync("memory", blob, queue, table, Ct);
        try
        {
            var (_, state) = await open.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(0, state.LastIndex);
            Assert.InRange(loads, 2, 4); // one that failed, then one per answered probe (blob and table may come up apart)
            Assert.True(probes >= 1);
        }
        finally
        {
            await AzuriteScript.StopAsync(pid);
        }
    }

    [Fact]
    public async Task A_bad_answer_fails_the_activation_at_once()
    {
        var attempts = 0;
        Task<int> Load(Exception e)
        {
            attempts++;
            return Task.FromException<int>(e);
        }

        await Assert.ThrowsAsync<InvalidDataException>(() => StorageOutage.RetryAsync(_ => Load(new InvalidDataException("log format 1")), _ => Task.CompletedTask, "0/0", NullLogger.Instance, Ct));
        await Assert.ThrowsAsync<RequestFailedException>(() => StorageOutage.RetryAsync(_ => Load(new RequestFailedException(403, "forbidden")), _ => Task.CompletedTask, "0/0", NullLogger.Instance, Ct));
        await Assert.ThrowsAsync<ReplicaFencedException>(() => StorageOutage.RetryAsync(_ => Load(new ReplicaFencedException("0/0")), _ => Task.CompletedTask, "0/0", NullLogger.Instance, Ct));
        Assert.Equal(3, attempts);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(404, false)]
    [InlineData(409, false)]
    [InlineData(412, false)]
    public void Storage_failures_are_classified(int status, bool unreachable)
    {
        Assert.Equal(unreachable, StorageOutage.IsUnreachable(new RequestFailedException(status, "x")));
        Assert.Equal(unreachable, StorageOutage.IsUnreachable(new AggregateException(new RequestFailedException(status, "x"), new RequestFailedException(0, "y"))));
    }
}
