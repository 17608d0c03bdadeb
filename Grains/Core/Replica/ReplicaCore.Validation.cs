using LockService.Client;
using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// Input validation at the door: every request is checked where it arrives, before anything is proposed or read, so
/// bad input costs no log entry, no storage write and no replica state, and gets a typed answer (the state machine
/// checks again when it applies, for commands that reach it another way).
/// </summary>
public sealed partial class ReplicaCore
{
    /// <summary>Longest wait an acquire may ask for: the SDK's longest (int.MaxValue ms, about 24.8 days).</summary>
    public const long MaxWaitMs = int.MaxValue;

    /// <summary>Null when <paramref name="request"/> is well formed, else the refusal to answer with.</summary>
    private Refusal? Validate(ReplicaRequest request) => request switch
    {
        ReplicaRequest.OpenSession open => CheckRequestId(open.Request) ?? CheckTtl(open.TtlMs),
        ReplicaRequest.KeepAlive keepAlive => CheckClient(keepAlive.Client) ?? CheckSession(keepAlive.Session),
        ReplicaRequest.CloseSession close => CheckRequestId(close.Request) ?? CheckSession(close.Session),
        ReplicaRequest.Acquire acquire => CheckRequestId(acquire.Request) ?? CheckSession(acquire.Session) ?? CheckName(acquire.Name) ?? CheckAcquire(acquire),
        ReplicaRequest.Release release => CheckRequestId(release.Request) ?? CheckSession(release.Session) ?? CheckName(release.Name) ?? CheckToken(release.Token),
        ReplicaRequest.CancelWait cancel => CheckRequestId(cancel.Request) ?? CheckSession(cancel.Session) ?? CheckName(cancel.Name) ??
            (cancel.AcquireSequence == 0 ? Invalid("The acquire to withdraw must name its request's sequence number (≥ 1).") : null),
        ReplicaRequest.Describe describe => CheckName(describe.Name),
        ReplicaRequest.IsCurrent isCurrent => CheckName(isCurrent.Name) ?? CheckToken(isCurrent.Token),
        ReplicaRequest.List list => CheckListBound(list.Prefix, "prefix") ?? CheckListBound(list.After, "after") ??
            (list.Limit is < 1 or > MaxListPage ? Invalid($"limit must be 1..{MaxListPage}.") : null),
        _ => null,
    };

    private Refusal? CheckName(string? name) =>
        LockNameRules.Check(name, _leases.Limits.MaxLockNameBytes) is { } problem ? new Refusal(ReplyCode.InvalidName, -1, problem) : null;

    /// <summary>A list bound may be empty (no bound) but otherwise follows the name rules, so it is bounded too.</summary>
    private Refusal? CheckListBound(string? bound, string what) =>
        string.IsNullOrEmpty(bound) ? null
        : LockNameRules.Check(bound, _leases.Limits.MaxLockNameBytes) is { } problem ? Invalid($"{what}: {problem}")
        : null;

    private Refusal? CheckTtl(long ttlMs) =>
        ttlMs < _leases.Limits.MinTtlMs || ttlMs > _leases.Limits.MaxTtlMs
            ? new Refusal(ReplyCode.InvalidTtl, -1, $"A session TTL must be between {_leases.Limits.MinTtlMs} ms and {_leases.Limits.MaxTtlMs} ms; got {ttlMs} ms.")
            : null;

    private static Refusal? CheckRequestId(RequestId request) =>
        CheckClient(request.Client) ?? (request.Sequence == 0 ? Invalid("A request's sequence number must be ≥ 1.") : null);

    /// <summary>The zero id is what a request without a client key maps to: nobody owns it.</summary>
    private static Refusal? CheckClient(ClientId client) =>
        client.Value == UInt128.Zero ? Invalid("A client key is required (128 random bits, not zero).") : null;

    private static Refusal? CheckSession(SessionId session) =>
        session.Value == UInt128.Zero ? new Refusal(ReplyCode.UnknownSession, -1, "No session id was given: open a session first.") : null;

    private static Refusal? CheckToken(FencingToken token) =>
        token.Term < 0 || token.Index < 0 ? new Refusal(ReplyCode.StaleToken, -1, $"Token {token} was never issued.") : null;

    private Refusal? CheckAcquire(ReplicaRequest.Acquire acquire)
    {
        if (acquire.Mode is not (LockMode.Exclusive or LockMode.Shared))
        {
            return Invalid("Mode must be Exclusive or Shared.");
        }

        if (acquire.WaitMs is < 0 or > MaxWaitMs || acquire.PollMs < 0)
        {
            return Invalid($"WaitMs must be 0..{MaxWaitMs} and PollMs ≥ 0; got {acquire.WaitMs} and {acquire.PollMs}.");
        }

        return acquire.MaxCount < 0 || acquire.MaxCount > _leases.Limits.MaxHoldersPerLock
            ? Invalid($"A semaphore's permit count must be 1..{_leases.Limits.MaxHoldersPerLock} (0 for a lock); got {acquire.MaxCount}.")
            : null;
    }

    private static Refusal Invalid(string message) => new(ReplyCode.InvalidArgument, -1, message);
}
