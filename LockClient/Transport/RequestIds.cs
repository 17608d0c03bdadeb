using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>
/// Hands out request ids for exactly-once commands: one client id per SDK instance, sequence numbers increasing
/// from 1. A retried command reuses its id, so the service applies it once and returns the remembered answer.
/// </summary>
internal sealed class RequestIds(Guid clientId)
{
    private long _sequence;

    public Guid ClientId { get; } = clientId;

    public RequestId Next() => new(ClientId, Interlocked.Increment(ref _sequence));
}
