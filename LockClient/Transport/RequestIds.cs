using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>
/// Hands out request ids for exactly-once commands: one client id per SDK instance, sequence numbers increasing
/// from 1. A retried command reuses its id, so the service applies it once and returns the remembered answer.
/// Tracks which requests are still in flight, so every request can tell the service below which sequence number
/// all answers have arrived (<see cref="AnsweredBelow"/>) and the service can forget them.
/// </summary>
internal sealed class RequestIds(Guid clientId)
{
    private readonly object _gate = new();
    private readonly SortedSet<long> _inFlight = [];
    private long _sequence;

    public Guid ClientId { get; } = clientId;

    public RequestId Next()
    {
        lock (_gate)
        {
            var sequence = ++_sequence;
            _inFlight.Add(sequence);
            return new RequestId(ClientId, sequence);
        }
    }

    /// <summary>The answer to <paramref name="request"/> arrived (or the request is given up for good): never resent.</summary>
    public void Complete(RequestId request)
    {
        lock (_gate)
        {
            _inFlight.Remove(request.Sequence);
        }
    }

    /// <summary>
    /// A waiting acquire was queued: from now on the service answers its re-issues from the wait itself (granted,
    /// still queued, or ended), not from its exactly-once memory, so it stops holding back <see cref="AnsweredBelow"/>.
    /// A wait can last hours; pinning AnsweredBelow that long would make the service keep every later answer of this
    /// client until its limit of unacknowledged answers refused all of them. The wait may still be re-issued.
    /// </summary>
    public void Acknowledge(RequestId request) => Complete(request);

    /// <summary>Every sequence number below this one has been answered or given up.</summary>
    public long AnsweredBelow
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count == 0 ? _sequence + 1 : _inFlight.Min;
            }
        }
    }

    internal int InFlightCount
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }
}
