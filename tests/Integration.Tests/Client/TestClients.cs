using LockService.Client;
using LockService.Client.Hosting;
using LockService.Client.Transport;
using LockService.Integration.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LockService.Integration.Tests.Client;

/// <summary>
/// Extra SDK clients on a test cluster's Orleans client, each independent of the others (its own client id, its own
/// sessions and keepalives), as separate processes would be. Built like <c>AddLockClient</c> builds its singleton,
/// with two seams for tests: a wrapper around the Orleans transport (to partition one client from the cluster) and
/// the client's <see cref="TimeProvider"/> (to pause one client). Disposes its clients before the cluster stops.
/// </summary>
internal sealed class TestClients(LockServiceCluster cluster) : IAsyncDisposable
{
    private readonly List<LockServiceClient> _clients = [];

    /// <summary>The options of the cluster's own client (<see cref="LockServiceCluster.StartAsync"/>), then <paramref name="configure"/>.</summary>
    public static LockClientOptions Options(Action<LockClientOptions>? configure = null)
    {
        var options = new LockClientOptions { SessionTtl = TimeSpan.FromSeconds(5), RequestTimeout = TimeSpan.FromSeconds(20) };
        configure?.Invoke(options);
        var problems = LockClientOptionsValidator.Check(options).ToList();
        Assert.True(problems.Count == 0, string.Join(" ", problems));
        return options;
    }

    public LockServiceClient Create(
        Action<LockClientOptions>? configure = null, Func<ILockServiceTransport, ILockServiceTransport>? wrap = null, TimeProvider? time = null,
        ILoggerFactory? logs = null)
    {
        var options = Options(configure);
        time ??= TimeProvider.System;
        ILockServiceTransport transport = new ReplicaRouter(
            new OrleansReplicaChannel(new GrainFactoryResolver(cluster.Grains)), options, time, logs?.CreateLogger("LockService.Client.Transport") ?? NullLogger.Instance);
        var client = new LockServiceClient(wrap?.Invoke(transport) ?? transport, options, time, logs);
        lock (_clients)
        {
            _clients.Add(client);
        }

        return client;
    }

    public IReadOnlyList<LockServiceClient> Create(int count, Action<LockClientOptions>? configure = null, ILoggerFactory? logs = null) =>
        [.. Enumerable.Range(0, count).Select(_ => Create(configure, logs: logs))];

    public async ValueTask DisposeAsync()
    {
        LockServiceClient[] clients;
        lock (_clients)
        {
            clients = [.. _clients];
        }

        await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
    }
}
