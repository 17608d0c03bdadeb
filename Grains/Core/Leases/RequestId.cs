namespace LockService.Leases;

/// <summary>
/// Names one client request: the client's id and its own sequence number. A command that arrives twice under
/// the same id is applied once; the second copy gets the first one's answer (Raft dissertation §6.3).
/// </summary>
public readonly record struct RequestId(ClientId Client, ulong Sequence)
{
    public override string ToString() => $"{Client}#{Sequence}";
}
