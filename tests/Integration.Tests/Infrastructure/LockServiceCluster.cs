using Azure.Data.Tables;
using LockService.Client;
using LockService.Hosting;
using LockService.Protocol;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace LockService.Integration.Tests.Infrastructure;

/// <summary>
/// An in-process cluster of silos hosting the lock service on Azurite, with a client that has the SDK. Each
/// instance uses its own service id, table and container, so tests never see each other's state; two instances
/// built with the same <see cref="Name"/> share durable state (a restart of the whole cluster).
/// </summary>
public sealed class LockServiceCluster : IAsyncDisposable
{
    private LockServiceCluster(InProcessTestCluster cluster, string name, int groupCount, int replicasPerGroup)
    {
        Cluster = cluster;
        Name = name;
        GroupCount = groupCount;
        ReplicasPerGroup = replicasPerGroup;
    }

    public InProcessTestCluster Cluster { get; }

    public string Name { get; }

    public int GroupCount { get; }

    public int ReplicasPerGroup { get; }

    public IGrainFactory Grains => Cluster.Client;

    public ILockClient LockClient => Cluster.Client.ServiceProvider.GetRequiredService<ILockClient>();

    public static string NewName() => "t" + Guid.NewGuid().ToString("N")[..12];

    public static async Task<LockServiceCluster> StartAsync(
        AzuriteFixture azurite, int silos = 3, string? name = null, int groupCount = 1, int replicasPerGroup = 3, Action<LockClientOptions>? client = null,
        Action<LockServiceOptions>? service = null, Action<ISiloBuilder>? silo = null, Action<IClientBuilder>? orleansClient = null)
    {
        name ??= NewName();
        var builder = new InProcessTestClusterBuilder((short)silos);
        builder.Options.ServiceId = name;
        builder.ConfigureSilo((_, siloBuilder) =>
        {
            silo?.Invoke(siloBuilder);
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.MaxProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            siloBuilder.AddAzureTableGrainStorage(LockServiceInfo.StorageProviderName, o =>
            {
                o.TableServiceClient = new TableServiceClient(azurite.ConnectionString);
                o.TableName = name + "state";
            });
            siloBuilder.AddLockService(o =>
            {
                o.StorageConnectionString = azurite.ConnectionString;
                o.TableName = name + "log";
                o.SnapshotContainer = name + "-snapshots";
                o.GroupCount = groupCount;
                o.ReplicasPerGroup = replicasPerGroup;
                service?.Invoke(o);
            });
        });
        builder.ConfigureClient(c =>
        {
            c.AddActivityPropagation();
            orleansClient?.Invoke(c);
            c.Services.AddLockClient(o =>
            {
                o.SessionTtl = TimeSpan.FromSeconds(5);
                o.RequestTimeout = TimeSpan.FromSeconds(20);
                client?.Invoke(o);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new LockServiceCluster(cluster, name, groupCount, replicasPerGroup);
    }

    public IReplicaPeerGrain Replica(int group, int replica) => Grains.GetGrain<IReplicaPeerGrain>(LockGroups.ReplicaKey(group, replica));

    public ILockReplicaGrain ClientReplica(int group, int replica) => Grains.GetGrain<ILockReplicaGrain>(LockGroups.ReplicaKey(group, replica));

    /// <summary>The replicas' own views of their groups (<see cref="ReplicaProbe"/>, shared with the multi-process tests).</summary>
    public ReplicaProbe Probe => new(Grains, ReplicasPerGroup);

    /// <summary>Waits until one replica leads, in a term above <paramref name="aboveTerm"/>, with a majority agreeing.</summary>
    public Task<ReplicaStatus> WaitForLeaderAsync(int group = 0, TimeSpan? timeout = null, long aboveTerm = 0) =>
        Probe.WaitForLeaderAsync(group, timeout, aboveTerm);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Cluster.StopAllSilosAsync();
        }
        catch (Exception)
        {
            // Killed silos may refuse a clean stop.
        }

        await Cluster.DisposeAsync();
    }
}
