using LockService.Client;
using LockService.Protocol;
using LockService.Security;

namespace LockService.Hosting;

/// <summary>
/// Operators' actions on a group, sent to its leader (any other replica answers NotLeader with a hint). Silo-only:
/// the silo's admin API authorizes them (LockService:Admin:ApiKey) before calling, and a gateway client that declares
/// this interface itself (it is not in the client package, but its alias is all a call needs) must not get around that.
/// </summary>
[SiloOnly]
[Alias("LockService.IReplicaAdminGrain")]
public interface IReplicaAdminGrain : IGrainWithStringKey
{
    /// <summary>Releases every holder of the lock with a token up to <paramref name="upTo"/> (<see cref="FencingToken.None"/>: its current holders), through the log.</summary>
    [Alias("ForceRelease")]
    Task<AdminReply> ForceRelease(string name, FencingToken upTo);

    /// <summary>Hands leadership to <paramref name="target"/> if it holds every committed entry, or to a caught-up replica when -1.</summary>
    [Alias("TransferLeadership")]
    Task<AdminReply> TransferLeadership(int target);
}

/// <param name="Token">A forced release: the newest token it released.</param>
/// <param name="Target">A transfer: the replica leadership goes to.</param>
[GenerateSerializer, Immutable, Alias("LockService.AdminReply")]
public sealed record AdminReply(
    [property: Id(0)] ReplyStatus Status,
    [property: Id(1)] FencingToken Token,
    [property: Id(2)] int Target,
    [property: Id(3)] int LeaderHint,
    [property: Id(4)] string? Message);
