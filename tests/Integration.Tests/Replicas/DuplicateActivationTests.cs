using System.Diagnostics.Metrics;
using Azure;
using Azure.Data.Tables;
using LockService.Hosting;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;

namespace LockService.Integration.Tests.Replicas;

/// <summary>
/// Orleans may briefly run two activations of one replica. Here the other activation is simulated by a write to
/// the replica's durable meta row behind the live activation's back: the live activation's next conditional write
/// is refused, it stops acting as the replica, and the group carries on without losing a committed grant.
/// </summary>
public sealed class DuplicateActivationTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_leader_whose_write_is_refused_stops_acting_and_the_group_carries_on()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var locks = cluster.LockClient;
        var held = await locks.AcquireAsync("kept", TimeSpan.FromSeconds(10), cancellationToken: Ct);
        var leader = await cluster.WaitForLeaderAsync();
        using var fenced = new FencedCounter(leader.ReplicaKey);

        // The "other activation" writes the leader's meta row (retrying while the leader itself keeps writing it).
        var table = new TableServiceClient(azurite.ConnectionString).GetTableClient(cluster.Name + "log");
        var partition = leader.ReplicaKey.Replace('/', '_');
        for (var written = false; !written;)
        {
            var meta = (await table.GetEntityAsync<TableEntity>(partition, "meta", cancellationToken: Ct)).Value;
            meta["WrittenBy"] = "another activation";
            try
            {
                await table.UpdateEntityAsync(meta, meta.ETag, TableUpdateMode.Replace, Ct);
                written = true;
            }
            catch (RequestFailedException e) when (e.Status == 412)
            {
            }
        }

        // The leader writes at its next clock tick (a session is open), is refused, and stops.
        await fenced.Reached.WaitAsync(TimeSpan.FromSeconds(20), Ct);

        // The refused activation went away; whatever answers for that replica now is a fresh activation that
        // reloaded the durable state.
        var (group, replica) = LockGroups.ParseReplicaKey(leader.ReplicaKey);
        var now = await cluster.Replica(group, replica).Status();
        Assert.NotEqual(leader.ActivationId, now.ActivationId);
        Assert.False(now.Fenced);

        var newLeader = await cluster.WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(30));
        Assert.True(newLeader.Term > leader.Term || newLeader.ReplicaKey != leader.ReplicaKey);
        Assert.True(await locks.IsCurrentAsync("kept", held.Token, Ct));
        var next = await locks.AcquireAsync("after", TimeSpan.FromSeconds(20), cancellationToken: Ct);
        Assert.True(next.Token > held.Token);
    }

    /// <summary>Listens to the silos' "lockservice.fenced_activations" counter (the silos run in this process).</summary>
    private sealed class FencedCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public FencedCounter(string replicaKey)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == ReplicaMetrics.MeterName && instrument.Name == "lockservice.fenced_activations")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "lockservice.replica" && Equals(tag.Value, replicaKey) && value > 0)
                    {
                        _reached.TrySetResult();
                    }
                }
            });
            _listener.Start();
        }

        public Task Reached => _reached.Task;

        public void Dispose() => _listener.Dispose();
    }
}
