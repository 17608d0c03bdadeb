using LockService.Client;
using LockService.Hosting;
using LockService.Protocol;

namespace LockService.Silo.Admin;

/// <summary>The outcome of an admin action, as the JSON API returns it (and lockctl prints it).</summary>
/// <param name="Ok">Whether the action took effect (or was already in effect).</param>
/// <param name="Status">The replica's answer (Ok, NotHolder, NotLeader, Unavailable, ...), or the admin layer's.</param>
public sealed record AdminResult(bool Ok, string Status, string? Message, int? Group = null, int? Leader = null, string? Token = null, string? Lock = null)
{
    public static AdminResult From(AdminReply reply, int group, string? lockName = null) => new(
        reply.Status == ReplyStatus.Ok,
        reply.Status.ToString(),
        reply.Message,
        group,
        reply.Target >= 0 ? reply.Target : null,
        reply.Token == FencingToken.None ? null : reply.Token.ToString(),
        lockName);
}

/// <summary>A silo as the status pages and lockctl show it.</summary>
/// <param name="Endpoint">"address:port" of its silo endpoint: what <c>drain</c> takes.</param>
public sealed record SiloView(string Endpoint, string Address, string Name, string Status, bool Drained, int Replicas, int Leaders);

/// <summary>The drained silos after a drain or undrain, and the replicas still on the silo it concerned.</summary>
public sealed record DrainResult(bool Ok, string Silo, IReadOnlyList<string> Drained, IReadOnlyList<string> ReplicasOnSilo, string Message);
