using LockService.Hosting;

namespace LockService.Silo.Hosting;

/// <summary>
/// Drops <see cref="IReplicaPeerGrain.Deliver"/> (one-way Raft message batches) in and out of this silo while its
/// partition marker file exists (<see cref="FaultInjectionOptions.PartitionDirectory"/>). Client calls and status
/// probes still pass, as they would reach the minority side of a real partition. The marker is polled every 100 ms
/// rather than checked per call, so the hot path costs one volatile read.
/// </summary>
internal sealed class PartitionFaultFilter : IIncomingGrainCallFilter, IOutgoingGrainCallFilter, IDisposable
{
    private readonly string _marker;
    private readonly Timer _poll;
    private readonly ILogger<PartitionFaultFilter> _logger;
    private volatile bool _isolated;

    public PartitionFaultFilter(string directory, int siloPort, ILogger<PartitionFaultFilter> logger)
    {
        _marker = Path.Combine(directory, $"isolate-{siloPort}");
        _logger = logger;
        _poll = new Timer(_ => Poll(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
    }

    public Task Invoke(IIncomingGrainCallContext context) => Dropped(context) ? Task.CompletedTask : context.Invoke();

    public Task Invoke(IOutgoingGrainCallContext context) => Dropped(context) ? Task.CompletedTask : context.Invoke();

    public void Dispose() => _poll.Dispose();

    private bool Dropped(IGrainCallContext context) =>
        _isolated && context.InterfaceMethod is { Name: nameof(IReplicaPeerGrain.Deliver) } method && method.DeclaringType == typeof(IReplicaPeerGrain);

    private void Poll()
    {
        var isolated = File.Exists(_marker);
        if (isolated != _isolated)
        {
            _isolated = isolated;
            _logger.LogWarning("Fault injection: replica messages of this silo {State} ({Marker})", isolated ? "dropped (partitioned)" : "flowing again (healed)", _marker);
        }
    }
}
