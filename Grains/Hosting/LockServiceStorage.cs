using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace LockService.Hosting;

/// <summary>
/// The storage clients the replicas of this silo share (clients are thread-safe and pool connections): one account
/// for all, or one per replica index (<see cref="LockServiceOptions.ReplicaStorageConnectionStrings"/>), so that the
/// replicas of a group do not share one account's failures or its write load.
/// </summary>
public sealed class LockServiceStorage
{
    private readonly (TableClient Log, BlobContainerClient Snapshots)[] _perReplica;

    public LockServiceStorage(IOptions<LockServiceOptions> options)
    {
        var o = options.Value;
        Log = new TableServiceClient(o.StorageConnectionString).GetTableClient(o.TableName);
        Snapshots = new BlobServiceClient(o.StorageConnectionString).GetBlobContainerClient(o.SnapshotContainer);
        _perReplica = [.. o.ReplicaStorageConnectionStrings.Select(connection =>
            (new TableServiceClient(connection).GetTableClient(o.TableName), new BlobServiceClient(connection).GetBlobContainerClient(o.SnapshotContainer)))];
    }

    /// <summary>The shared account's log table (every replica's, unless per-replica accounts are configured).</summary>
    public TableClient Log { get; }

    public BlobContainerClient Snapshots { get; }

    /// <summary>Where the replica with this index in its group keeps its log and snapshots.</summary>
    public (TableClient Log, BlobContainerClient Snapshots) ForReplica(int replicaIndex) =>
        _perReplica.Length > 0 ? _perReplica[replicaIndex] : (Log, Snapshots);
}
