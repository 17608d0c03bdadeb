using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// The work one input left for the host: messages to send, at most one storage write to start, replies to complete
/// by ticket, events to log, and requests to stop or move. The host reads it after each input, then calls
/// <see cref="Clear"/>.
/// </summary>
public sealed class ReplicaOutbox
{
    private readonly List<RaftMessage> _messages = [];
    private readonly List<(long Ticket, ReplicaReply Reply)> _replies = [];
    private readonly List<ReplicaEvent> _events = [];
    private readonly List<ForwardRequest> _forwards = [];

    /// <summary>Messages to send now, in order (the host may batch them per destination).</summary>
    public IReadOnlyList<RaftMessage> Messages => _messages;

    /// <summary>A write to start (the previous one has finished).</summary>
    public StorageWrite? Write { get; internal set; }

    public IReadOnlyList<(long Ticket, ReplicaReply Reply)> Replies => _replies;

    /// <summary>Requests to pass on to the leader, each completing its ticket with the leader's reply (instead of a reply here).</summary>
    public IReadOnlyList<ForwardRequest> Forwards => _forwards;

    /// <summary>
    /// A check to start: is this activation still the replica's current one (its store's version unchanged, read
    /// without writing)? Answer <see cref="ReplicaCore.CurrentVerified"/> with the id.
    /// </summary>
    public long? VerifyCurrent { get; internal set; }

    public IReadOnlyList<ReplicaEvent> Events => _events;

    /// <summary>The host should check where this replica belongs and answer <see cref="ReplicaCore.PlacementChecked"/>.</summary>
    public bool CheckPlacement { get; internal set; }

    /// <summary>The replica should move to the silo it belongs on (deactivate here; the next call activates it there).</summary>
    public bool Move { get; internal set; }

    /// <summary>Set once: this activation stopped acting as the replica; the host deactivates it.</summary>
    public string? Stop { get; internal set; }

    public bool IsEmpty =>
        _messages.Count == 0 && _replies.Count == 0 && _forwards.Count == 0 && _events.Count == 0 && Write is null && VerifyCurrent is null && !CheckPlacement && !Move && Stop is null;

    public void Clear()
    {
        _messages.Clear();
        _replies.Clear();
        _forwards.Clear();
        _events.Clear();
        Write = null;
        VerifyCurrent = null;
        CheckPlacement = false;
        Move = false;
        Stop = null;
    }

    internal void Send(RaftMessage message) => _messages.Add(message);

    internal void Send(IReadOnlyList<RaftMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            _messages.Add(messages[i]);
        }
    }

    internal void Reply(long ticket, ReplicaReply reply) => _replies.Add((ticket, reply));

    internal void Forward(ForwardRequest forward) => _forwards.Add(forward);

    internal void Event(ReplicaEvent replicaEvent) => _events.Add(replicaEvent);
}
