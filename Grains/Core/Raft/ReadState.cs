namespace LockService.Raft;

/// <summary>
/// A linearizable read is safe to serve once the host's applied index has reached <see cref="Index"/>: the leader
/// confirmed with a heartbeat round that it was still leader after the read arrived (dissertation §6.4).
/// </summary>
public readonly record struct ReadState(long RequestId, long Index);
