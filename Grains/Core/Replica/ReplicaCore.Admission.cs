using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// Admission control on the leader, after validation and before anything is proposed: each client's requests per
/// second and the group's session openings per second (<see cref="ClientRateLimits"/>). Reads carry no client id
/// and are not counted here.
/// </summary>
public sealed partial class ReplicaCore
{
    private ClientRateLimits? _rates;

    /// <summary>Client ids with a rate bucket on this replica right now.</summary>
    public int RateLimitedClients => _rates?.TrackedClients ?? 0;

    private Refusal? Admit(ReplicaRequest request, TimeSpan now)
    {
        var (client, opens) = request switch
        {
            ReplicaRequest.OpenSession open => (open.Request.Client, true),
            ReplicaRequest.KeepAlive keepAlive => (keepAlive.Client, false),
            ReplicaRequest.CloseSession close => (close.Request.Client, false),
            ReplicaRequest.Acquire acquire => (acquire.Request.Client, false),
            ReplicaRequest.Release release => (release.Request.Client, false),
            ReplicaRequest.CancelWait cancel => (cancel.Request.Client, false),
            _ => (default(ClientId?), false),
        };

        if (client is not { } id)
        {
            return null;
        }

        _rates ??= new ClientRateLimits(_options, now);
        return _rates.Admit(id, opens, now) is { } why ? new Refusal(ReplyCode.Overloaded, -1, why) : null;
    }
}
