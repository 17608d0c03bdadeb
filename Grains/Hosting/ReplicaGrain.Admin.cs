using LockService.Client;
using LockService.Protocol;
using LockService.Replica;
using Microsoft.Extensions.Logging;

namespace LockService.Hosting;

/// <summary>Operators' actions: core requests like any client's, logged with their outcome.</summary>
public sealed partial class ReplicaGrain : IReplicaAdminGrain
{
    public async Task<AdminReply> ForceRelease(string name, FencingToken upTo)
    {
        var reply = ToAdminReply((await Call(new ReplicaRequest.ForceRelease(name, upTo == FencingToken.None ? null : upTo))).Direct);
        logger.LogWarning(
            "Replica {ReplicaKey}: operator forced release of {LockName} up to {UpTo}: {Status} {Message}", _key, name, upTo, reply.Status, reply.Message);
        return reply;
    }

    public async Task<AdminReply> TransferLeadership(int target)
    {
        var reply = ToAdminReply((await Call(new ReplicaRequest.TransferLeadership(target < 0 ? null : target))).Direct);
        logger.LogInformation("Replica {ReplicaKey}: operator leadership transfer to {Target}: {Status} {Message}", _key, reply.Target, reply.Status, reply.Message);
        return reply;
    }

    private static AdminReply ToAdminReply(ReplicaReply reply)
    {
        var admin = reply as ReplicaReply.Admin;
        return new AdminReply(ReplicaWire.ToWire(reply.Code), admin?.Token ?? default, admin?.Target ?? -1, reply.LeaderHint, reply.Message);
    }
}
