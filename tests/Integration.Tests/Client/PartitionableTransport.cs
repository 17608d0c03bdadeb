using LockService.Client;
using LockService.Client.Transport;
using LockService.Protocol;

namespace LockService.Integration.Tests.Client;

/// <summary>How a partitioned client's calls fail.</summary>
public enum Partition
{
    /// <summary>Connected: calls go through.</summary>
    None,

    /// <summary>Every call answers at once as if no replica could be reached (a sweep that found no leader).</summary>
    Refuse,

    /// <summary>Every call stays unanswered (a black hole) until its caller cancels it or the partition heals.</summary>
    BlackHole,
}

/// <summary>
/// A decorator of the SDK's transport that cuts one client off from the cluster on demand, deterministically:
/// while partitioned no call reaches the cluster. It follows the transport contract (transient failures are
/// answered as <see cref="ReplyStatus.Unavailable"/>, cancellation throws), so the SDK above it behaves as it would
/// behind a real network partition.
/// </summary>
internal sealed class PartitionableTransport(ILockServiceTransport inner) : ILockServiceTransport
{
    private readonly object _gate = new();
    private Partition _partition;
    private TaskCompletionSource _healed = NewHealed(completed: true);
    private int _keepAlivesRefused;
    private int _keepAlivesInFlight;
    private int _keepAlivesInFlightAtCut;

    public Partition Partition
    {
        get
        {
            lock (_gate)
            {
                return _partition;
            }
        }
    }

    /// <summary>Keepalives that the partition stopped (attempted while cut off), and those in flight when it began (on
    /// a loaded machine the one in flight can outlast the client's whole lease, so that no later one is attempted).</summary>
    public int KeepAlivesStopped => Volatile.Read(ref _keepAlivesRefused) + Volatile.Read(ref _keepAlivesInFlightAtCut);

    public void Cut(Partition partition)
    {
        ArgumentOutOfRangeException.ThrowIfEqual(partition, Partition.None);
        lock (_gate)
        {
            _partition = partition;
            _keepAlivesInFlightAtCut = Volatile.Read(ref _keepAlivesInFlight);
            if (_healed.Task.IsCompleted)
            {
                _healed = NewHealed(completed: false);
            }
        }
    }

    public void Heal()
    {
        lock (_gate)
        {
            _partition = Partition.None;
            _healed.TrySetResult();
        }
    }

    public ValueTask<int> GetGroupAsync(string name, CancellationToken cancellationToken) =>
        Partition == Partition.None
            ? inner.GetGroupAsync(name, cancellationToken)
            : throw new TransientTransportException("partitioned (test)");

    public Task<SessionReply> OpenSessionAsync(int group, OpenSessionRequest request, CancellationToken cancellationToken) =>
        Through(ct => inner.OpenSessionAsync(group, request, ct), m => new SessionReply(ReplyStatus.Unavailable, Guid.Empty, 0, Message: m), cancellationToken);

    public Task<SessionReply> KeepAliveAsync(int group, KeepAliveRequest request, CancellationToken cancellationToken)
    {
        if (Partition != Partition.None)
        {
            Interlocked.Increment(ref _keepAlivesRefused);
        }

        return Counted(Through(ct => inner.KeepAliveAsync(group, request, ct), m => new SessionReply(ReplyStatus.Unavailable, request.SessionId, 0, Message: m), cancellationToken));
    }

    private async Task<SessionReply> Counted(Task<SessionReply> keepAlive)
    {
        Interlocked.Increment(ref _keepAlivesInFlight);
        try
        {
            return await keepAlive;
        }
        finally
        {
            Interlocked.Decrement(ref _keepAlivesInFlight);
        }
    }

    public Task<SessionReply> CloseSessionAsync(int group, CloseSessionRequest request, CancellationToken cancellationToken) =>
        Through(ct => inner.CloseSessionAsync(group, request, ct), m => new SessionReply(ReplyStatus.Unavailable, request.SessionId, 0, Message: m), cancellationToken);

    public Task<AcquireReply> AcquireAsync(int group, AcquireRequest request, CancellationToken cancellationToken) =>
        Through(ct => inner.AcquireAsync(group, request, ct), m => new AcquireReply(ReplyStatus.Unavailable, default, 0, Message: m), cancellationToken);

    public Task<ReleaseReply> ReleaseAsync(int group, ReleaseRequest request, CancellationToken cancellationToken) =>
        Through(ct => inner.ReleaseAsync(group, request, ct), m => new ReleaseReply(ReplyStatus.Unavailable, Message: m), cancellationToken);

    public Task<ReleaseReply> CancelWaitAsync(int group, CancelWaitRequest request, CancellationToken cancellationToken) =>
        Through(ct => inner.CancelWaitAsync(group, request, ct), m => new ReleaseReply(ReplyStatus.Unavailable, Message: m), cancellationToken);

    public Task<DescribeReply> DescribeAsync(int group, string name, CancellationToken cancellationToken) =>
        Through(ct => inner.DescribeAsync(group, name, ct), m => new DescribeReply(ReplyStatus.Unavailable, name, [], [], Message: m), cancellationToken);

    public Task<IsCurrentReply> IsCurrentAsync(int group, string name, FencingToken token, CancellationToken cancellationToken) =>
        Through(ct => inner.IsCurrentAsync(group, name, token, ct), m => new IsCurrentReply(ReplyStatus.Unavailable, false, Message: m), cancellationToken);

    private async Task<T> Through<T>(Func<CancellationToken, Task<T>> call, Func<string, T> unavailable, CancellationToken cancellationToken)
    {
        Partition partition;
        Task healed;
        lock (_gate)
        {
            partition = _partition;
            healed = _healed.Task;
        }

        switch (partition)
        {
            case Partition.None:
                return await call(cancellationToken);
            case Partition.Refuse:
                return unavailable("partitioned (test): no replica reachable");
            default:
                // The request is lost in the partition: it never reaches the cluster, even after healing.
                await healed.WaitAsync(cancellationToken);
                return unavailable("partitioned (test): the request was lost");
        }
    }

    private static TaskCompletionSource NewHealed(bool completed)
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            source.SetResult();
        }

        return source;
    }
}
