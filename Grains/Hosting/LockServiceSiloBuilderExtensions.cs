using LockService.Directory;
using LockService.Placement;
using LockService.Protocol;
using LockService.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace LockService.Hosting;

public static class LockServiceSiloBuilderExtensions
{
    private static readonly TimeSpan WakeUpTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Hosts the lock service in this silo: replica grains with their placement, their storage, and a start-up
    /// check that the configured topology matches the one the cluster was started with (the silo refuses to start
    /// otherwise). The silo also needs a grain storage provider named <see cref="LockServiceInfo.StorageProviderName"/>.
    /// </summary>
    public static ISiloBuilder AddLockService(this ISiloBuilder builder, Action<LockServiceOptions>? configure = null)
    {
        var options = builder.Services.AddOptions<LockServiceOptions>().ValidateDataAnnotations().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // Grain locations stay cached until a message finds them stale, instead of being revalidated with their
        // directory partition's owner every few seconds: when that owner is the silo that just died, a revalidation
        // waits (with retries of about a second) until membership declares it dead, and meanwhile calls to healthy
        // replicas (votes, probes from clients) stalled for 1-2 s. Replicas are few, so the cache never fills.
        builder.Services.Configure<GrainDirectoryOptions>(o =>
        {
            o.CachingStrategy = GrainDirectoryOptions.CachingStrategyType.LRU;
            o.MaximumCacheTTL = TimeSpan.FromMinutes(30);

            // The strongly consistent directory (ReplicaDirectory) holds a crashed silo's grains for up to 30 s, so
            // that no second activation starts while the silo might still run. Replicas need no such hold: their
            // storage fences a stale activation (ReplicaStore) and they tolerate a duplicate by design. With the hold,
            // a killed silo's replica stayed down until the silo came back, and the group ran without redundancy.
            o.RangeLeaseDuration = TimeSpan.Zero;
        });
        ReplicaDirectory.Add(builder);
        builder.Services.AddSingleton<LockServiceStorage>();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<ReplicaMetrics>();
        builder.AddIncomingGrainCallFilter<SiloOnlyCallFilter>();
        builder.Services.AddSingleton<DrainView>();
        builder.Services.AddSingleton(_ => new SiloArrivals(TimeProvider.System));
        builder.AddPlacementDirector<ReplicaPlacementStrategy, ReplicaPlacementDirector>();
        builder.AddActivityPropagation(); // a client's trace (the SDK's acquire span) continues into the replica's request span
        builder.AddStartupTask(async (services, _) =>
        {
            var configured = services.GetRequiredService<IOptions<LockServiceOptions>>().Value;
            var grains = services.GetRequiredService<IGrainFactory>();
            var topology = await grains.GetGrain<ILockTopologyGrain>(ILockDirectoryGrain.Key)
                .Establish(new LockTopology(configured.GroupCount, configured.ReplicasPerGroup));

            // Wake every replica so groups elect leaders before the first client call (idempotent across silos).
            var wakeUps = new List<Task>();
            for (var group = 0; group < topology.GroupCount; group++)
            {
                for (var replica = 0; replica < topology.ReplicasPerGroup; replica++)
                {
                    wakeUps.Add(grains.GetGrain<IReplicaPeerGrain>(LockGroups.ReplicaKey(group, replica)).Status());
                }
            }

            // Place every entry key here now, while the cluster is whole. A stateless worker is placed on the silo the
            // call arrives at, but only after a grain directory lookup of its key; when the key's directory partition
            // belongs to a silo that is paused, that lookup (and the client's call through this gateway, which is
            // what the entries are for) waits until the silo answers or is declared dead. Once placed, the place is
            // cached (GrainDirectoryOptions above) and no lookup happens again.
            for (var key = 0; key < ILockEntryGrain.KeyCount; key++)
            {
                wakeUps.Add(grains.GetGrain<ILockEntryGrain>(key).Warm());
            }

            // Best effort: a replica that cannot answer now (its silo just died, storage is down) wakes on its first
            // message anyway, and failing this task would stop the silo, which is the opposite of what a restart wants.
            try
            {
                await Task.WhenAll(wakeUps).WaitAsync(WakeUpTimeout);
            }
            catch (Exception e)
            {
                services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LockServiceSiloBuilderExtensions))
                    .LogWarning("Not every replica answered the start-up wake-up within {Timeout}: {Reason}", WakeUpTimeout, e.Message);
            }
        });
        return builder;
    }
}
