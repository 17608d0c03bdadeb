using LockService.Leases;

namespace LockService.Replica;

/// <summary>What an open client request is waiting for.</summary>
internal enum PendingStage : byte
{
    /// <summary>Its command was proposed at (<see cref="PendingRequest.Index"/>, <see cref="PendingRequest.Term"/>).</summary>
    Proposing,

    /// <summary>An acquire queued in the lock's FIFO: waiting for its turn until the poll deadline.</summary>
    Waiting,

    /// <summary>A keepalive listed for the next clock tick: answered once that tick applies.</summary>
    Renewing,

    /// <summary>Behind a read barrier (ReadIndex): answered once leadership is confirmed and the read index applied.</summary>
    Reading,
}

/// <summary>One open client request on this replica, answered exactly once by its ticket.</summary>
internal sealed class PendingRequest(long ticket, ReplicaRequest request)
{
    public long Ticket { get; } = ticket;

    public ReplicaRequest Request { get; } = request;

    public PendingStage Stage { get; set; }

    /// <summary>When the request gives up waiting (host's monotonic time).</summary>
    public TimeSpan Deadline { get; set; }

    /// <summary>The proposed index (<see cref="PendingStage.Proposing"/>) or the read id (<see cref="PendingStage.Reading"/>).</summary>
    public long Index { get; set; }

    public long Term { get; set; }

    public TimeSpan ProposedAt { get; set; }

    /// <summary>A queued acquire's place in the queue, reported in its Queued answer.</summary>
    public int QueuePosition { get; set; }

    /// <summary>A wait resolved before its proposal's own answer arrived.</summary>
    public LeaseResult? EarlyAnswer { get; set; }

    /// <summary>A forced release's bound, fixed when it was proposed (reported in its answer).</summary>
    public Client.FencingToken ForcedUpTo { get; set; }

    public bool Answered { get; set; }

    /// <summary>The client asked for a NotLeader answer to be replaced by forwarding to the leader (<see cref="ForwardRequest"/>).</summary>
    public bool ForwardToLeader { get; init; }
}
