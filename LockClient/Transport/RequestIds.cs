using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>
/// Hands out request ids for exactly-once commands in one lock group: one client id, sequence numbers increasing
/// from 1. Every attempt of one call carries the call's id, so the service applies it once and answers retries from
/// memory. Tracks which requests are still in flight, so every request can tell the service below which sequence
/// number it may forget its answers (<see cref="AnsweredBelow"/>).
/// </summary>
/// <remarks>
/// A request leaves the in-flight set when its call ends, however it ends: with an answer, a timeout, a
/// cancellation, an exception or a dispose (<see cref="Complete"/>). An id that has left is never sent again: past
/// AnsweredBelow the service has forgotten its answer and would refuse (or answer from the wait) a copy. What an
/// ended request without an answer may still do on the service (it may be in the log) is the caller's to clean up:
/// see docs/CLIENT.md, "Requests that end without an answer".
/// </remarks>
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

    /// <summary>The call of <paramref name="request"/> has ended (answered or not): its id is never sent again.</summary>
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

    /// <summary>Every sequence number below this one has ended.</summary>
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
