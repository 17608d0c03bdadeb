using LockService.Leases;

namespace LockService.Replica;

/// <summary>Something worth a log line or a metric; the host maps each to ILogger and its meters.</summary>
public abstract record ReplicaEvent
{
    public sealed record BecameLeader(long Term) : ReplicaEvent;

    public sealed record LostLeadership(long Term, int? LeaderId) : ReplicaEvent;

    public sealed record Proposed : ReplicaEvent
    {
        public static Proposed Instance { get; } = new();
    }

    public sealed record Committed(TimeSpan Latency) : ReplicaEvent;

    public sealed record Granted : ReplicaEvent
    {
        public static Granted Instance { get; } = new();
    }

    public sealed record SessionExpired(SessionId Session) : ReplicaEvent;

    public sealed record SnapshotInstalled(long Index) : ReplicaEvent;

    public sealed record Compacted(long Index, int Bytes) : ReplicaEvent;

    /// <param name="Target">The caught-up replica it hands over to, or null when none is caught up (no transfer).</param>
    public sealed record HandingOver(int? Target, string Reason) : ReplicaEvent;

    public sealed record Moving : ReplicaEvent
    {
        public static Moving Instance { get; } = new();
    }

    public sealed record Stopped(string Reason, bool Fenced) : ReplicaEvent;
}
