namespace LockService.Protocol;

/// <summary>Call metadata (Orleans' RequestContext) the SDK and the replicas agree on.</summary>
public static class ReplicaCallContext
{
    /// <summary>
    /// Set on a call to a follower: "if you are not the leader and know who is, pass this call on and answer with the
    /// leader's reply". A client uses it when the followers name as leader a replica that does not answer this
    /// client: an Orleans client sends every call to one grain through the same gateway, so a paused or cut-off
    /// gateway silo silences a healthy leader for that client until the gateway is declared dead (seconds), while
    /// the follower reaches the leader silo to silo. One hop only: the leader's reply comes back as it is.
    /// </summary>
    public const string ForwardToLeader = "lockservice.forward";
}
