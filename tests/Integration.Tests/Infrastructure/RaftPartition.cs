using System.Collections.Concurrent;
using LockService.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.Infrastructure;

/// <summary>
/// A partition of the Raft groups inside an in-process cluster: Raft message batches
/// (<see cref="IReplicaPeerGrain.Deliver"/>) into and out of an isolated silo are dropped, while client calls, status
/// probes and Orleans membership still pass, as on the minority side of a real partition. The silos stay alive, so no
/// replica is reactivated elsewhere: what the group does is what its reachable replicas can do alone. The in-process
/// counterpart of the chaos harness's partition (Silo/Hosting/PartitionFaultFilter.cs).
/// </summary>
public sealed class RaftPartition
{
    private readonly ConcurrentDictionary<string, bool> _isolated = new();

    /// <summary>Pass as <c>silo:</c> to <see cref="LockServiceCluster.StartAsync"/>.</summary>
    public void AddTo(ISiloBuilder silo)
    {
        silo.Services.AddSingleton(sp => new Filter(this, sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString()));
        silo.Services.AddSingleton<IIncomingGrainCallFilter>(sp => sp.GetRequiredService<Filter>());
        silo.Services.AddSingleton<IOutgoingGrainCallFilter>(sp => sp.GetRequiredService<Filter>());
    }

    /// <summary>Cuts these silos (as <see cref="ReplicaStatus.Silo"/> names them) off from every other replica.</summary>
    public void Isolate(params string[] silos)
    {
        foreach (var silo in silos)
        {
            _isolated[silo] = true;
        }
    }

    public void Heal() => _isolated.Clear();

    private sealed class Filter(RaftPartition partition, string silo) : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
    {
        public Task Invoke(IIncomingGrainCallContext context) => Dropped(context) ? Task.CompletedTask : context.Invoke();

        public Task Invoke(IOutgoingGrainCallContext context) => Dropped(context) ? Task.CompletedTask : context.Invoke();

        private bool Dropped(IGrainCallContext context) =>
            partition._isolated.ContainsKey(silo)
            && context.InterfaceMethod is { Name: nameof(IReplicaPeerGrain.Deliver) } method
            && method.DeclaringType == typeof(IReplicaPeerGrain);
    }
}
