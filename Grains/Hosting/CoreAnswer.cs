using LockService.Replica;

namespace LockService.Hosting;

/// <summary>How the core settled one client call's ticket: its reply, or a leader to pass the call on to (<see cref="ForwardRequest"/>).</summary>
internal readonly record struct CoreAnswer(ReplicaReply? Reply, int ForwardTo = -1)
{
    /// <summary>The reply of a call the core never forwards (it was not asked to).</summary>
    public ReplicaReply Direct => Reply ?? throw new InvalidOperationException($"The core forwarded a call that did not ask for it (to replica {ForwardTo}).");
}
