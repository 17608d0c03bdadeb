using System.ComponentModel.DataAnnotations;

namespace LockService.Hosting;

/// <summary>Options of the lock service inside a silo. Bound from the "LockService" configuration section.</summary>
public sealed class LockServiceOptions : IValidatableObject
{
    /// <summary>Number of Raft groups. Part of the durable cluster topology: it cannot change once the cluster has started.</summary>
    [Range(1, 1024)]
    public int GroupCount { get; set; } = 1;

    /// <summary>Replicas per group: 3 tolerates one failed silo, 5 tolerates two.</summary>
    public int ReplicasPerGroup { get; set; } = 3;

    /// <summary>Period of the Raft tick timer. Election timeouts and heartbeats count in ticks.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    [Range(2, 1000)]
    public int ElectionTimeoutMinTicks { get; set; } = 6;

    [Range(3, 2000)]
    public int ElectionTimeoutMaxTicks { get; set; } = 12;

    [Range(1, 100)]
    public int HeartbeatTicks { get; set; } = 1;

    /// <summary>
    /// Rounds of <see cref="ElectionTimeoutMinTicks"/> a follower may stay silent and still count toward its leader's
    /// quorum; a leader without one steps down (<see cref="Raft.RaftConfig.CheckQuorumRounds"/>).
    /// </summary>
    [Range(1, 10)]
    public int CheckQuorumRounds { get; set; } = 2;

    /// <summary>Applied entries between snapshots (log compaction).</summary>
    [Range(100, 10_000_000)]
    public int SnapshotEveryEntries { get; set; } = 10_000;

    /// <summary>
    /// Bound on how much faster any replica's monotonic clock may run than real time (0.01 = 1 %). The lease clock
    /// is slowed by it, so sessions never expire early on a fast clock.
    /// </summary>
    [Range(0.0, 0.2)]
    public double ClockRateBound { get; set; } = 0.01;

    /// <summary>How long a client request may stay open waiting for commit or for its turn in a lock queue.</summary>
    public TimeSpan MaxPollDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Azure Storage (or Azurite) holding the replicas' logs and snapshots.</summary>
    [Required]
    public string StorageConnectionString { get; set; } = "UseDevelopmentStorage=true";

    /// <summary>
    /// Optional: one storage account per replica index (entry i for replica i of every group; empty = all replicas in
    /// <see cref="StorageConnectionString"/>, which also keeps the cluster membership). Separate accounts take the
    /// shared account out of the replicas' common failures and spread their writes. Part of the durable topology:
    /// change it only with the replicas' data moved along.
    /// </summary>
    public string[] ReplicaStorageConnectionStrings { get; set; } = [];

    /// <summary>
    /// Longest one storage request may take before it counts as failed (and is retried, up to 3 times, within a
    /// second of back-off). A replica whose write fails stops and reloads from storage, so a short timeout turns a hung
    /// storage endpoint into a fast failover rather than a stall.
    /// </summary>
    public TimeSpan StorageTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A replica moves back onto its home silo only once that silo has been active this long (see
    /// <see cref="Placement.SiloArrivals"/>): a silo that has just joined is still starting.
    /// </summary>
    public TimeSpan MoveInDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A replica's storage write that takes longer is logged as a warning with its size and duration.</summary>
    public TimeSpan SlowStorageThreshold { get; set; } = TimeSpan.FromMilliseconds(250);

    [Required]
    public string TableName { get; set; } = "lockservicelog";

    [Required]
    public string SnapshotContainer { get; set; } = "lockservice-snapshots";

    /// <summary>Sessions and request rates per client and per group (<c>LockService:ClientLimits</c>).</summary>
    public Security.ClientLimitOptions ClientLimits { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ReplicasPerGroup is not (3 or 5))
        {
            yield return new ValidationResult("ReplicasPerGroup must be 3 or 5.", [nameof(ReplicasPerGroup)]);
        }

        if (ElectionTimeoutMaxTicks <= ElectionTimeoutMinTicks)
        {
            yield return new ValidationResult("ElectionTimeoutMaxTicks must exceed ElectionTimeoutMinTicks.", [nameof(ElectionTimeoutMaxTicks)]);
        }

        if (HeartbeatTicks >= ElectionTimeoutMinTicks)
        {
            yield return new ValidationResult("HeartbeatTicks must be below ElectionTimeoutMinTicks.", [nameof(HeartbeatTicks)]);
        }

        if (ReplicaStorageConnectionStrings.Length != 0 &&
            (ReplicaStorageConnectionStrings.Length != ReplicasPerGroup || ReplicaStorageConnectionStrings.Any(string.IsNullOrWhiteSpace)))
        {
            yield return new ValidationResult(
                $"ReplicaStorageConnectionStrings must be empty or hold one connection string per replica index ({ReplicasPerGroup}).",
                [nameof(ReplicaStorageConnectionStrings)]);
        }

        if (StorageTimeout < TimeSpan.FromMilliseconds(100) || StorageTimeout > TimeSpan.FromMinutes(5))
        {
            yield return new ValidationResult("StorageTimeout must be between 100 ms and 5 min.", [nameof(StorageTimeout)]);
        }

        if (TickInterval < TimeSpan.FromMilliseconds(5) || TickInterval > TimeSpan.FromSeconds(5))
        {
            yield return new ValidationResult("TickInterval must be between 5 ms and 5 s.", [nameof(TickInterval)]);
        }

        foreach (var problem in ClientLimits.Validate())
        {
            yield return new ValidationResult("ClientLimits: " + problem.ErrorMessage, [nameof(ClientLimits)]);
        }
    }
}
