namespace LockService.Raft;

/// <summary>Volatile facts the host may want to react to (routing clients, failing pending reads); never persisted.</summary>
public readonly record struct SoftState(RaftRole Role, int? LeaderId, long Term);
