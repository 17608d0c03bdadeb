using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// The work one input left for the host: messages to send, at most one storage write to start, replies to complete
/// by ticket, events to log, and requests to stop or move. The host reads it after each input, then calls
/// <see cref="Clear"/>.
/// </summary>
public sealed class ReplicaOutbox
{
    private List<RaftMessage> _messages = [];
    private List<(long Ticket, ReplicaReply Reply)> _replies = [];
    private List<ReplicaEvent> _events = [];
    private List<ForwardRequest> _forwards = [];

    // The lists a drain hands the host, swapped with the live ones so a drain allocates nothing.
    private List<RaftMessage> _drainedMessages = [];
    private List<(long Ticket, ReplicaReply Reply)> _drainedReplies = [];
    private List<ReplicaEvent> _drainedEvents = [];
    private List<ForwardRequest> _drainedForwards = [];
    private bool _draining;

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

    /// <summary>
    /// Performs everything in the outbox through <paramref name="host"/>, until it is empty (a host call may feed the
    /// core again) or the host is no longer live. Per round: messages, replies, forwards, events; then a stop (and
    /// nothing after it), or the write, the currency check, the placement check and the move. A call from inside a
    /// host call returns at once: the drain under way performs what it added.
    /// </summary>
    public void DrainTo(IReplicaHost host)
    {
        if (_draining)
        {
            return;
        }

        _draining = true;
        try
        {
            while (!IsEmpty && host.Live)
            {
                (_messages, _drainedMessages) = (_drainedMessages, _messages);
                (_replies, _drainedReplies) = (_drainedReplies, _replies);
                (_forwards, _drainedForwards) = (_drainedForwards, _forwards);
                (_events, _drainedEvents) = (_drainedEvents, _events);
                var (write, verify, checkPlacement, move, stop) = (Write, VerifyCurrent, CheckPlacement, Move, Stop);
                (Write, VerifyCurrent, CheckPlacement, Move, Stop) = (null, null, false, false, null);
                try
                {
                    if (!Perform(host, write, verify, checkPlacement, move, stop))
                    {
                        return;
                    }
                }
                finally
                {
                    _drainedMessages.Clear();
                    _drainedReplies.Clear();
                    _drainedForwards.Clear();
                    _drainedEvents.Clear();
                }
            }
        }
        finally
        {
            _draining = false;
        }
    }

    /// <summary>One round of <see cref="DrainTo"/>; false after a stop.</summary>
    private bool Perform(IReplicaHost host, StorageWrite? write, long? verify, bool checkPlacement, bool move, string? stop)
    {
        if (_drainedMessages.Count > 0)
        {
            host.Send(_drainedMessages);
        }

        foreach (var (ticket, reply) in _drainedReplies)
        {
            host.Reply(ticket, reply);
        }

        foreach (var forward in _drainedForwards)
        {
            host.Forward(forward);
        }

        foreach (var replicaEvent in _drainedEvents)
        {
            host.Report(replicaEvent);
        }

        if (stop is not null)
        {
            host.Stop(stop);
            return false;
        }

        if (write is not null)
        {
            host.StartWrite(write);
        }

        if (verify is { } checkId)
        {
            host.StartVerify(checkId);
        }

        if (checkPlacement)
        {
            host.CheckPlacement();
        }

        if (move)
        {
            host.Move();
        }

        return true;
    }

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
