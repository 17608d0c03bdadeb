using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// Keepalives off the log: the sessions renewed since the last clock tick entry, and which keepalives each tick entry
/// acknowledges once it applies (never before: an answer before commit could be lost with the leader).
/// </summary>
internal sealed class RenewalBatcher
{
    private readonly HashSet<SessionId> _pending = [];
    private readonly Dictionary<long, List<PendingRequest>> _byTickIndex = [];
    private List<PendingRequest> _waiting = [];

    public bool HasPending => _pending.Count > 0;

    /// <summary>Tick entries proposed and not yet applied.</summary>
    public int TicksInFlight => _byTickIndex.Count;

    public void Add(SessionId session, PendingRequest keepAlive)
    {
        _pending.Add(session);
        _waiting.Add(keepAlive);
    }

    public SessionId[] Take(int max) => _pending.Take(max).ToArray();

    /// <summary>The tick entry at <paramref name="index"/> lists <paramref name="renewals"/>.</summary>
    public void OnProposed(long index, SessionId[] renewals)
    {
        foreach (var session in renewals)
        {
            _pending.Remove(session);
        }

        if (_pending.Count == 0)
        {
            _byTickIndex[index] = _waiting;
            _waiting = [];
        }
        else
        {
            // Sessions left for the next tick must not be acknowledged by this one.
            _byTickIndex[index] = [];
        }
    }

    /// <summary>The keepalives the entry at <paramref name="index"/> answers, if it was a tick of ours.</summary>
    public List<PendingRequest>? OnApplied(long index) => _byTickIndex.Remove(index, out var acknowledged) ? acknowledged : null;

    /// <summary>Forgets everything (leadership lost): returns the keepalives that will not be acknowledged.</summary>
    public IEnumerable<PendingRequest> Clear()
    {
        var all = _byTickIndex.Values.SelectMany(list => list).Concat(_waiting).ToList();
        _byTickIndex.Clear();
        _pending.Clear();
        _waiting = [];
        return all;
    }
}
