namespace LockService.Storage;

/// <summary>
/// A conditional write was refused: another activation of the same replica wrote first. The activation that
/// sees this must stop acting as the replica at once (no vote, no append, no grant), because Orleans may run two
/// activations of one grain for a moment and only one of them may own the replica's durable state.
/// </summary>
public sealed class ReplicaFencedException(string replicaKey, Exception? inner = null)
    : Exception($"Replica {replicaKey} was written by another activation; this activation stops acting as the replica.", inner)
{
    public string ReplicaKey { get; } = replicaKey;
}
