namespace LockService.Replica;

/// <summary>
/// Work for the host: pass the request of <paramref name="Ticket"/> on to <paramref name="Leader"/> (one hop: the
/// forwarded call does not ask to be forwarded again) and complete the ticket with the leader's reply. The core
/// emits it instead of a NotLeader answer when the client asked a follower to forward
/// (<see cref="ReplicaCore.Request(long, ReplicaRequest, TimeSpan, bool)"/>) and the follower knows another leader.
/// </summary>
public sealed record ForwardRequest(long Ticket, int Leader, ReplicaRequest Request);
