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
/// </summary>
internal sealed class CurrencyGate
{
    private Batch _held = new();
    private Batch _verifying = new();
    private Batch _coveredByWrite = new();

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
