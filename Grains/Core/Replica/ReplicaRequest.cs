using LockService.Client;
using LockService.Leases;

namespace LockService.Replica;

/// <summary>A client request as the replica core takes it: core identifiers, no wire attributes.</summary>
public abstract record ReplicaRequest
{
    private ReplicaRequest()
    {
    }

    public sealed record OpenSession(RequestId Request, ulong AnsweredBelow, long TtlMs) : ReplicaRequest;

    /// <param name="Client">The client the keepalive comes from (proved by the host): only the session's owner renews it.</param>
    public sealed record KeepAlive(SessionId Session, ClientId Client) : ReplicaRequest;

    public sealed record CloseSession(RequestId Request, ulong AnsweredBelow, SessionId Session) : ReplicaRequest;

    /// <param name="WaitMs">0: try once; more: wait in the lock's queue up to this long (lease clock).</param>
    /// <param name="PollMs">How long this call may wait for the turn before it answers Queued.</param>
    public sealed record Acquire(
        RequestId Request, ulong AnsweredBelow, SessionId Session, string Name, LockMode Mode, long WaitMs, long PollMs, int MaxCount = 0) : ReplicaRequest;

    public sealed record Release(RequestId Request, ulong AnsweredBelow, SessionId Session, string Name, FencingToken Token) : ReplicaRequest;

    public sealed record CancelWait(RequestId Request, ulong AnsweredBelow, SessionId Session, string Name, ulong AcquireSequence) : ReplicaRequest;

    public sealed record Describe(string Name) : ReplicaRequest;

    public sealed record IsCurrent(string Name, FencingToken Token) : ReplicaRequest;

    public sealed record List(string Prefix, string? After, int Limit) : ReplicaRequest;

    /// <summary>An operator's forced release of every holder up to <paramref name="UpTo"/>; null: the lock's newest holder and those before it.</summary>
    public sealed record ForceRelease(string Name, FencingToken? UpTo) : ReplicaRequest;

    /// <summary>An operator's leadership transfer to <paramref name="Target"/>, or to a caught-up replica when null.</summary>
    public sealed record TransferLeadership(int? Target) : ReplicaRequest;
}
