using LockService.Replica;
using Microsoft.Extensions.Logging;

namespace LockService.Hosting;

/// <summary>The core's events as log lines and metrics.</summary>
public sealed partial class ReplicaGrain
{
    private void Report(ReplicaEvent replicaEvent)
    {
        switch (replicaEvent)
        {
            case ReplicaEvent.Proposed:
                metrics.Proposals.Add(1);
                break;
            case ReplicaEvent.Committed committed:
                metrics.CommitLatency.Record(committed.Latency.TotalMilliseconds);
                break;
            case ReplicaEvent.Granted:
                metrics.Grants.Add(1);
                break;
            case ReplicaEvent.SessionExpired expired:
                metrics.Expiries.Add(1);
                logger.LogInformation("Replica {ReplicaKey}: session {SessionId} expired", _key, expired.Session);
                break;
            case ReplicaEvent.BecameLeader leader:
                metrics.LeaderChanges.Add(1);
                logger.LogInformation("Replica {ReplicaKey} became leader in term {Term}", _key, leader.Term);
                break;
            case ReplicaEvent.LostLeadership lost:
                logger.LogInformation("Replica {ReplicaKey} is no longer leader (term {Term}, leader {LeaderId})", _key, lost.Term, lost.LeaderId);
                break;
            case ReplicaEvent.SnapshotInstalled installed:
                logger.LogInformation("Replica {ReplicaKey} installed a snapshot at {SnapshotIndex}", _key, installed.Index);
                break;
            case ReplicaEvent.Compacted compacted:
                logger.LogInformation("Replica {ReplicaKey} compacted its log up to {SnapshotIndex} ({SnapshotBytes} bytes)", _key, compacted.Index, compacted.Bytes);
                break;
            case ReplicaEvent.HandingOver { Target: { } target } handing:
                logger.LogInformation("Replica {ReplicaKey} hands leadership to replica {Target} ({Reason}; it holds every committed entry)", _key, target, handing.Reason);
                break;
            case ReplicaEvent.HandingOver handing:
                logger.LogInformation("Replica {ReplicaKey} would hand leadership over ({Reason}) but no replica is caught up yet", _key, handing.Reason);
                break;
            case ReplicaEvent.Moving:
                logger.LogInformation("Replica {ReplicaKey} moves from {CurrentSilo} to the silo it belongs on", _key, GrainContext.Address.SiloAddress);
                break;
            case ReplicaEvent.Stopped stopped:
                logger.LogWarning("Replica {ReplicaKey} stopped acting as the replica: {Reason}", _key, stopped.Reason);
                break;
        }
    }
}
