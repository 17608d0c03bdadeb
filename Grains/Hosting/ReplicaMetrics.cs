using System.Diagnostics.Metrics;

namespace LockService.Hosting;

/// <summary>Server-side metrics (Meter "LockService.Server"), exportable through OpenTelemetry.</summary>
public sealed class ReplicaMetrics
{
    public const string MeterName = "LockService.Server";

    public ReplicaMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        LeaderChanges = meter.CreateCounter<long>("lockservice.leader_changes", description: "Times a replica became leader.");
        CommitLatency = meter.CreateHistogram<double>("lockservice.commit_latency", unit: "ms", description: "From proposal to apply on the leader.");
        Grants = meter.CreateCounter<long>("lockservice.grants", description: "Locks granted (committed).");
        Expiries = meter.CreateCounter<long>("lockservice.session_expiries", description: "Sessions expired by the lease clock.");
        Proposals = meter.CreateCounter<long>("lockservice.proposals", description: "Commands proposed by leaders.");
        Fenced = meter.CreateCounter<long>("lockservice.fenced_activations", description: "Replica activations stopped by a refused conditional write.");
        Forwarded = meter.CreateCounter<long>("lockservice.forwarded_calls", description: "Client calls a follower passed on to its leader (the client could not reach the leader itself).");
        PersistLatency = meter.CreateHistogram<double>("lockservice.persist_latency", unit: "ms", description: "Durable write of one Raft batch.");
    }

    public Counter<long> LeaderChanges { get; }
    public Histogram<double> CommitLatency { get; }
    public Counter<long> Grants { get; }
    public Counter<long> Expiries { get; }
    public Counter<long> Proposals { get; }
    public Counter<long> Fenced { get; }
    public Counter<long> Forwarded { get; }
    public Histogram<double> PersistLatency { get; }
}
