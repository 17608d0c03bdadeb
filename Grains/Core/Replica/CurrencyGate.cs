using LockService.Raft;

namespace LockService.Replica;

/// <summary>
/// Holds back what counts toward a quorum (append, heartbeat, vote and snapshot acknowledgements; a leader's own
/// confirmation of a read) when no write of the same Ready proved that this activation is still the replica's
/// current one. Orleans may briefly run two activations of one replica; the stale one's writes are fenced, but an
/// acknowledgement that needs no write would otherwise count for it (a leader could then complete a ReadIndex round
/// with a stale duplicate and answer a read that a newer term already changed). Held items go out once a proof
/// that started after they were produced succeeds: a storage check of the activation's version, or a write (each
/// write is conditional on that version). One proof covers everything held before it started.
/// <para>
/// An acknowledgement that only repeats one this activation already sent with proof, in the same term, goes at once:
/// an append acknowledgement up to an index already acknowledged with proof (the leader's commit broadcast), a
/// heartbeat acknowledgement of a read round already acknowledged with proof (every periodic heartbeat between
/// reads). Its content was true and durable when first proved, so it is what Raft already tolerates, a delayed
/// duplicate: the leader's match index and acknowledged round only grow, so it counts for nothing new, and a read
/// always waits for a round newer than any acknowledged before it. Without this, each follower read storage once
/// per heartbeat and once per commit.
/// </para>
/// </summary>
internal sealed class CurrencyGate
{
    private Batch _held = new();
    private Batch _verifying = new();
    private Batch _coveredByWrite = new();

    // The highest acknowledgements this activation sent with proof, and their term.
    private long _provenTerm = -1;
    private long _provenAppendIndex = -1;
    private long _provenRound = -1;

    public long? VerifyInFlight { get; private set; }

    public bool HasHeld => !_held.IsEmpty;

    /// <summary>Whether a message asserts something a quorum counts (a rejection or a request does not).</summary>
    public static bool CountsTowardQuorum(RaftMessage message) => message switch
    {
        AppendResponse { Reject: false } => true,
        HeartbeatResponse => true,
        VoteResponse { Granted: true } => true,
        SnapshotResponse => true,
        _ => false,
    };

    public void Hold(RaftMessage message) => _held.Messages.Add(message);

    /// <summary>A message goes out with proof that this activation was current after it was produced.</summary>
    public void SentProven(RaftMessage message)
    {
        if (message is not (AppendResponse { Reject: false } or HeartbeatResponse) || message.Term < _provenTerm)
        {
            return;
        }

        if (message.Term > _provenTerm)
        {
            (_provenTerm, _provenAppendIndex, _provenRound) = (message.Term, -1, -1);
        }

        switch (message)
        {
            case AppendResponse append:
                _provenAppendIndex = Math.Max(_provenAppendIndex, append.Index);
                break;
            case HeartbeatResponse heartbeat:
                _provenRound = Math.Max(_provenRound, heartbeat.Round);
                break;
        }
    }

    /// <summary>Whether the message only repeats an acknowledgement already sent with proof in its term (see the class).</summary>
    public bool RepeatsProven(RaftMessage message) => message.Term == _provenTerm && message switch
    {
        AppendResponse { Reject: false } append => append.Index <= _provenAppendIndex,
        HeartbeatResponse heartbeat => heartbeat.Round <= _provenRound,
        _ => false,
    };

    public void Hold(ReadState read) => _held.Reads.Add(read);

    /// <summary>A write starts now: everything held so far goes out when it succeeds.</summary>
    public void CoverByWrite()
    {
        _coveredByWrite.AddRange(_held);
        _held.Clear();
    }

    /// <summary>Starts a check covering everything held so far.</summary>
    public void StartVerify(long checkId)
    {
        (_verifying, _held) = (_held, _verifying);
        VerifyInFlight = checkId;
    }

    /// <summary>The write succeeded: its batch may go.</summary>
    public Batch TakeCoveredByWrite()
    {
        var batch = _coveredByWrite;
        _coveredByWrite = new Batch();
        return batch;
    }

    /// <summary>The check finished: its batch (to send if it proved currency, to drop otherwise).</summary>
    public Batch TakeVerified()
    {
        var batch = _verifying;
        _verifying = new Batch();
        VerifyInFlight = null;
        return batch;
    }

    internal sealed class Batch
    {
        public List<RaftMessage> Messages { get; } = [];

        public List<ReadState> Reads { get; } = [];

        public bool IsEmpty => Messages.Count == 0 && Reads.Count == 0;

        public void AddRange(Batch other)
        {
            Messages.AddRange(other.Messages);
            Reads.AddRange(other.Reads);
        }

        public void Clear()
        {
            Messages.Clear();
            Reads.Clear();
        }
    }
}
