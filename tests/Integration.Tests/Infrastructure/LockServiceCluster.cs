using Azure.Data.Tables;
using LockService.Client;
using LockService.Hosting;
using LockService.Protocol;
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

    /// <summary>
    /// Polls the replicas' own views until one of them leads, in a term after <paramref name="afterTerm"/>, with a majority
    /// agreeing; no event exists to await.
    /// </summary>
    public async Task<ReplicaStatus> WaitForLeaderAsync(int group = 0, TimeSpan? timeout = null, long afterTerm = 0)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            // A deposed leader cut off from the others may still say it leads; only a majority's leader counts.
            var statuses = await StatusesAsync(group);
            var leader = statuses.FirstOrDefault(l => l is { Role: "Leader" } && l.Term > afterTerm
                && statuses.Count(s => s is not null && s.Term == l.Term && s.LeaderId == LockGroups.ParseReplicaKey(l.ReplicaKey).Replica) > ReplicasPerGroup / 2);
            if (leader is not null)
            {
                return leader;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No leader in group {group}: {string.Join("; ", statuses.Select(s => s?.ToString() ?? "unreachable"))}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Polls until every replica of the group answers from a silo of its own. Silos join one by one and the first
    /// wakes every replica, so replicas start together and move apart as silos arrive; no event marks the end.
    /// </summary>
    public async Task<ReplicaStatus[]> WaitForSpreadAsync(int group = 0, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(45));
        while (true)
        {
            var statuses = await StatusesAsync(group);
            if (statuses.All(s => s is not null) && statuses.Select(s => s!.Silo).Distinct().Count() == ReplicasPerGroup)
            {
                return statuses!;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Group {group} not spread over {ReplicasPerGroup} silos: {string.Join("; ", statuses.Select(s => s?.ToString() ?? "unreachable"))}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Each replica's own view of the group, null where it did not answer within 2 s.</summary>
    public Task<ReplicaStatus?[]> StatusesAsync(int group = 0) => Task.WhenAll(Enumerable.Range(0, ReplicasPerGroup).Select(r => TryStatus(group, r)));

    private async Task<ReplicaStatus?> TryStatus(int group, int replica)
    {
        try
        {
            return await Replica(group, replica).Status().WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception)
        {
            return null;
        }
    }

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
