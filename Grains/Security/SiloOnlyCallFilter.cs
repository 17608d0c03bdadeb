using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace LockService.Security;

/// <summary>
/// Only silos speak Raft: a call to a <see cref="SiloOnlyAttribute"/> interface or method is served only when its
/// caller is a grain, or a silo's hosted client (start-up tasks and HTTP pages run outside any grain). A call
/// from a gateway client gets <see cref="UnauthorizedAccessException"/> and never reaches the grain.
/// </summary>
/// <remarks>
/// The caller's identity is the source id Orleans records on the message. On a network where untrusted hosts can
/// open gateway connections, require client certificates too (docs/SECURITY.md): this filter stops the Orleans
/// client API, not a hand-built message that lies about its sender.
/// </remarks>
public sealed class SiloOnlyCallFilter(ILogger<SiloOnlyCallFilter> logger) : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<MethodInfo, bool> Guarded = new();

    // Orleans names a silo's hosted client "hosted-{silo address}"; an external client's id is random.
    private const string HostedClientPrefix = "hosted-";

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod is { } method && Guarded.GetOrAdd(method, IsSiloOnly) && !IsSiloCaller(context.SourceId))
        {
            logger.LogWarning(
                "Refused a call to silo-internal {Interface}.{Method} on {Target} from {Source}",
                context.InterfaceName, context.MethodName, context.TargetId, context.SourceId?.ToString() ?? "an unknown caller");
            throw new UnauthorizedAccessException(
                $"{context.InterfaceName}.{context.MethodName} is internal to the lock service's silos; clients use ILockReplicaGrain.");
        }

        return context.Invoke();
    }

    private static bool IsSiloCaller(GrainId? source) =>
        source is { } id && (!GrainTypePrefix.IsClient(id) || id.Key.ToString().StartsWith(HostedClientPrefix, StringComparison.Ordinal));

    private static bool IsSiloOnly(MethodInfo method) =>
        method.IsDefined(typeof(SiloOnlyAttribute), inherit: false) ||
        method.DeclaringType?.IsDefined(typeof(SiloOnlyAttribute), inherit: false) == true;
}
