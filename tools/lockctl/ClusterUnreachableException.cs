namespace LockService.Cli;

/// <summary>No gateway of the cluster could be reached in time (lockctl exits 1 with the message).</summary>
internal sealed class ClusterUnreachableException(string message) : Exception(message);
