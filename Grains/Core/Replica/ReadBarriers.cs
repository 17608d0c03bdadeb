using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// Requests behind a ReadIndex barrier: released once the Raft core confirmed the read (a heartbeat round with a
/// majority) and the replica applied up to its index.
/// </summary>
internal sealed class ReadBarriers
{
    private readonly Dictionary<long, PendingRequest> _byReadId = [];
    private readonly List<ReadState> _awaitingApply = [];
    private long _nextReadId;

    public long NextId() => ++_nextReadId;

    public void Add(long readId, PendingRequest request) => _byReadId[readId] = request;

    public void Remove(long readId) => _byReadId.Remove(readId);

    public void OnReadState(ReadState read)
    {
        if (_byReadId.ContainsKey(read.RequestId))
        {
            _awaitingApply.Add(read);
        }
    }

    /// <summary>Takes every read whose index is applied.</summary>
    public void TakeReady(long appliedIndex, List<PendingRequest> ready)
    {
        for (var i = _awaitingApply.Count - 1; i >= 0; i--)
        {
            var read = _awaitingApply[i];
            if (read.Index <= appliedIndex)
            {
                _awaitingApply.RemoveAt(i);
                if (_byReadId.Remove(read.RequestId, out var request))
                {
                    ready.Add(request);
                }
            }
        }
    }

    public void Clear()
    {
        _byReadId.Clear();
        _awaitingApply.Clear();
    }
}
