using LockService.Client;

namespace LockService.Protocol;

/// <summary>
/// Identifies a client command for exactly-once application: the service remembers the answers per client and
/// returns the remembered one for a retried command instead of applying it again. Each request also carries
/// <c>AnsweredBelow</c>: the client has received the answers of all its sequence numbers below it, so the service
/// may forget them (Raft dissertation §6.3); 0 forgets nothing. A waiting acquire counts as answered once it is
/// queued: the service answers its re-issues from the wait itself, so a long wait does not pin <c>AnsweredBelow</c>.
/// <para>
/// <c>ClientId</c> is the client's key: 128 random bits that only this client knows. The service identifies the
/// client by the key's hash and never shows or stores the key, so whoever sends a request with it is its owner.
/// Keep it secret (the SDK draws it from the OS's cryptographic generator and never logs it).
/// </para>
/// </summary>
[GenerateSerializer, Immutable, Alias("LockService.RequestId")]
public readonly record struct RequestId([property: Id(0)] Guid ClientId, [property: Id(1)] long Sequence);

[GenerateSerializer, Immutable, Alias("LockService.OpenSessionRequest")]
public sealed record OpenSessionRequest(
    [property: Id(0)] RequestId Request,
    [property: Id(1)] long TtlMs,
    [property: Id(2)] long AnsweredBelow = 0);

/// <param name="ClientKey">The key of the client that opened the session (the <c>ClientId</c> of its requests):
/// only the session's owner can renew it.</param>
[GenerateSerializer, Immutable, Alias("LockService.KeepAliveRequest")]
public sealed record KeepAliveRequest([property: Id(0)] Guid SessionId, [property: Id(1)] Guid ClientKey = default);

[GenerateSerializer, Immutable, Alias("LockService.CloseSessionRequest")]
public sealed record CloseSessionRequest(
    [property: Id(0)] RequestId Request,
    [property: Id(1)] Guid SessionId,
    [property: Id(2)] long AnsweredBelow = 0);

/// <param name="MaxCount">0: a lock. N ≥ 1: one permit of the semaphore <c>Name</c> of N permits (Mode Shared).</param>
/// <param name="WaitMs">0: try once. Otherwise wait in FIFO order up to this long (on the service's lease clock).</param>
/// <param name="PollMs">How long this call may stay open; a still-queued request answers <see cref="ReplyStatus.Queued"/>
/// and the caller re-issues the same request, so no Orleans call outlives its response timeout.</param>
[GenerateSerializer, Immutable, Alias("LockService.AcquireRequest")]
public sealed record AcquireRequest(
    [property: Id(0)] RequestId Request,
    [property: Id(1)] Guid SessionId,
    [property: Id(2)] string Name,
    [property: Id(3)] LockMode Mode,
    [property: Id(4)] long WaitMs,
    [property: Id(5)] long PollMs,
    [property: Id(6)] long AnsweredBelow = 0,
    [property: Id(7)] int MaxCount = 0);

[GenerateSerializer, Immutable, Alias("LockService.ReleaseRequest")]
public sealed record ReleaseRequest(
    [property: Id(0)] RequestId Request,
    [property: Id(1)] Guid SessionId,
    [property: Id(2)] string Name,
    [property: Id(3)] FencingToken Token,
    [property: Id(4)] long AnsweredBelow = 0);

/// <summary>Withdraws a waiting acquire, identified by the request id it was made with.</summary>
[GenerateSerializer, Immutable, Alias("LockService.CancelWaitRequest")]
public sealed record CancelWaitRequest(
    [property: Id(0)] RequestId Request,
    [property: Id(1)] Guid SessionId,
    [property: Id(2)] string Name,
    [property: Id(3)] RequestId AcquireRequest,
    [property: Id(4)] long AnsweredBelow = 0);
