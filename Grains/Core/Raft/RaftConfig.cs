namespace LockService.Raft;

/// <summary>
/// The settings of one replica. Times are in ticks: the host decides how long a tick is (50 ms gives a failover
/// well under a second with the defaults). Every limit is asserted by <see cref="Validate"/>.
/// </summary>
public sealed record RaftConfig
{
    /// <summary>This replica's id; one of <see cref="Voters"/>.</summary>
    public required int Id { get; init; }

    /// <summary>The replica ids of the group: exactly 0..N-1 with N = 3 or 5.</summary>
    public required IReadOnlyList<int> Voters { get; init; }

    /// <summary>A follower starts an election after a random timeout in [min, max) ticks without a leader.</summary>
    public int ElectionTimeoutMinTicks { get; init; } = 6;

    public int ElectionTimeoutMaxTicks { get; init; } = 12;

    /// <summary>A leader sends heartbeats this often; it must be well below the election timeout.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    /// <summary>Ask for pre-votes first, so a node that rejoins after a partition does not depose a healthy leader.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>
    /// A leader that has not heard from a majority for <see cref="CheckQuorumRounds"/> election timeouts steps down and
    /// stops serving.
    /// </summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>
    /// How many rounds of <see cref="ElectionTimeoutMinTicks"/> a follower may stay silent and still count toward the
    /// leader's quorum. One is etcd's rule; two let a leader ride out a follower that moves to another silo while the
    /// other one misses a round (a busy silo, a storage hiccup), instead of stepping down and costing the group an
    /// election. Safety does not depend on it: reads confirm leadership with a ReadIndex round, never with this lease.
    /// </summary>
    public int CheckQuorumRounds { get; init; } = 2;

    /// <summary>
    /// With <see cref="PreVote"/>, a replica that starts (first activation, restart, reload after a storage outage)
    /// draws its first election timeout below <see cref="ElectionTimeoutMinTicks"/>: when a whole group restarts at
    /// once, as after a storage outage, a leader comes a few ticks sooner. A replica that restarts beside a live leader
    /// only asks for pre-votes, which the others refuse while they hear that leader, so it disturbs nothing.
    /// </summary>
    public bool QuickFirstElection { get; init; } = true;

    public int MaxEntriesPerMessage { get; init; } = 256;

    /// <summary>Bytes of entries per append message (one larger entry still goes alone).</summary>
    public int MaxBytesPerMessage { get; init; } = 512 * 1024;

    /// <summary>Appends in flight to one follower before the leader waits for acknowledgements.</summary>
    public int MaxInflightAppends { get; init; } = 64;

    /// <summary>Proposals that would take the leader's uncommitted tail beyond this are refused as overloaded.</summary>
    public long MaxUncommittedBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>InstallSnapshot sends snapshot data in chunks of at most this many bytes.</summary>
    public int SnapshotChunkBytes { get; init; } = 256 * 1024;

    /// <summary>
    /// Snapshot chunks in flight to one follower. One at a time (stop-and-wait) moved a chunk per round trip: a follower
    /// whose transfer took longer than the leader's next compaction needed another snapshot when it finished, and never
    /// caught up (lease simulation seed 2904).
    /// </summary>
    public int SnapshotChunksInFlight { get; init; } = 8;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range.</summary>
    public void Validate()
    {
        Require(Voters is { Count: 3 or 5 }, nameof(Voters), "must hold 3 or 5 replica ids");
        for (var i = 0; i < Voters.Count; i++)
        {
            Require(Voters.Contains(i), nameof(Voters), $"must be exactly 0..{Voters.Count - 1}");
        }

        Require(Id >= 0 && Id < Voters.Count, nameof(Id), "must be one of the voters");
        Require(HeartbeatTicks >= 1, nameof(HeartbeatTicks), "must be at least 1");
        Require(ElectionTimeoutMinTicks > HeartbeatTicks, nameof(ElectionTimeoutMinTicks), "must exceed HeartbeatTicks");
        Require(ElectionTimeoutMaxTicks > ElectionTimeoutMinTicks, nameof(ElectionTimeoutMaxTicks), "must exceed ElectionTimeoutMinTicks");
        Require(CheckQuorumRounds is >= 1 and <= 10, nameof(CheckQuorumRounds), "must be in 1..10");
        Require(MaxEntriesPerMessage is >= 1 and <= 1 << 20, nameof(MaxEntriesPerMessage), "must be in 1..1048576");
        Require(MaxBytesPerMessage >= 1, nameof(MaxBytesPerMessage), "must be at least 1");
        Require(MaxInflightAppends is >= 1 and <= 1024, nameof(MaxInflightAppends), "must be in 1..1024");
        Require(MaxUncommittedBytes >= 1, nameof(MaxUncommittedBytes), "must be at least 1");
        Require(SnapshotChunkBytes >= 1, nameof(SnapshotChunkBytes), "must be at least 1");
        Require(SnapshotChunksInFlight is >= 1 and <= 1024, nameof(SnapshotChunksInFlight), "must be in 1..1024");
    }

    private static void Require(bool condition, string setting, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"RaftConfig.{setting} {rule}.", setting);
        }
    }
}
