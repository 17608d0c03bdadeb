using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// The leader's admission control for client requests: a token bucket per client id (its proposals and renewals per
/// second), and one for the whole group's session openings (client ids cost nothing to make up, so only a
/// group-wide bucket bounds a flood of fresh identities). A request past a limit is answered Overloaded before it
/// is proposed. Buckets that have filled up again are forgotten, so memory follows the clients active recently.
/// </summary>
internal sealed class ClientRateLimits(ReplicaCoreOptions options, TimeSpan now)
{
    private readonly Dictionary<ClientId, TokenBucket> _clients = [];
    private readonly TokenBucket _opens = new(options.SessionOpenBurst, now);
    private TimeSpan _sweptAt = now;

    public int TrackedClients => _clients.Count;

    /// <summary>Null when admitted, else why not.</summary>
    public string? Admit(ClientId client, bool opensSession, TimeSpan now)
    {
        if (!_clients.TryGetValue(client, out var bucket))
        {
            if (_clients.Count >= options.MaxRateLimitedClients)
            {
                // At most once a second: a sweep visits every bucket, and a flood of new ids must not make each one pay for it.
                if (now - _sweptAt >= TimeSpan.FromSeconds(1))
                {
                    Sweep(now);
                }

                if (_clients.Count >= options.MaxRateLimitedClients)
                {
                    return $"Too many active clients ({options.MaxRateLimitedClients}); back off and retry.";
                }
            }

            _clients[client] = bucket = new TokenBucket(options.ClientRequestBurst, now);
        }

        if (!bucket.TryTake(now, options.ClientRequestsPerSecond, options.ClientRequestBurst))
        {
            return $"This client sent more than {options.ClientRequestsPerSecond} requests a second; back off and retry.";
        }

        return opensSession && !_opens.TryTake(now, options.SessionOpensPerSecond, options.SessionOpenBurst)
            ? $"This group opens at most {options.SessionOpensPerSecond} sessions a second; back off and retry."
            : null;
    }

    /// <summary>Forgets the buckets that are full again (their clients were quiet long enough).</summary>
    public void Sweep(TimeSpan now)
    {
        _sweptAt = now;
        List<ClientId>? full = null;
        foreach (var (client, bucket) in _clients)
        {
            if (bucket.IsFull(now, options.ClientRequestsPerSecond, options.ClientRequestBurst))
            {
                (full ??= []).Add(client);
            }
        }

        foreach (var client in full ?? [])
        {
            _clients.Remove(client);
        }
    }
}
