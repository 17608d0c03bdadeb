using Azure;
using Azure.Core;
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
    private readonly Account _shared;
    private readonly Account[] _perReplica;

    public LockServiceStorage(IOptions<LockServiceOptions> options)
    {
        var o = options.Value;
        _shared = Clients(o.StorageConnectionString, o);
        _perReplica = [.. o.ReplicaStorageConnectionStrings.Select(connection => Clients(connection, o))];
    }

    /// <summary>
    /// Whether the account of this replica index answers at all (any answer, an error included): one request, no
    /// retries, so that a replica waiting for storage to come back learns it within one try.
    /// </summary>
    public async Task ProbeAsync(int replicaIndex, CancellationToken cancellationToken)
    {
        try
        {
            await For(replicaIndex).Probe.GetEntityIfExistsAsync<TableEntity>("reachability", "probe", cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (!StorageOutage.IsUnreachable(e))
        {
            // An answer (for example: no such table yet) is all this asks for.
        }
    }

    private static TableClient ProbeClient(string connectionString, LockServiceOptions o)
    {
        var options = new TableClientOptions();
        options.Retry.MaxRetries = 0;
        options.Retry.NetworkTimeout = o.StorageTimeout < TimeSpan.FromSeconds(1) ? o.StorageTimeout : TimeSpan.FromSeconds(1);
        return new TableServiceClient(connectionString, options).GetTableClient(o.TableName);
    }

    /// <summary>
    /// Clients that fail fast and retry briefly. The Azure SDK's defaults (4 tries, 0.8 s doubling, 100 s per try) suit
    /// batch jobs: a replica whose write began while storage was restarting slept through seconds of back-off after
    /// storage answered again, and a hung storage endpoint held a write for 100 s. A replica gains nothing by waiting:
    /// a failed write stops it and it reloads from storage, and Raft resends what a failure dropped.
    /// </summary>
    private static Account Clients(string connectionString, LockServiceOptions o)
    {
        var tableOptions = new TableClientOptions();
        Configure(tableOptions.Retry, o);
        var blobOptions = new BlobClientOptions();
        Configure(blobOptions.Retry, o);
        return new Account(
            new TableServiceClient(connectionString, tableOptions).GetTableClient(o.TableName),
            new BlobServiceClient(connectionString, blobOptions).GetBlobContainerClient(o.SnapshotContainer),
            ProbeClient(connectionString, o));
    }

    private static void Configure(RetryOptions retry, LockServiceOptions o)
    {
        retry.Mode = RetryMode.Exponential;
        retry.MaxRetries = 3;
        retry.Delay = TimeSpan.FromMilliseconds(50);
        retry.MaxDelay = TimeSpan.FromMilliseconds(400);
        retry.NetworkTimeout = o.StorageTimeout;
    }

    /// <summary>The shared account's log table (every replica's, unless per-replica accounts are configured).</summary>
    public TableClient Log => _shared.Log;

    public BlobContainerClient Snapshots => _shared.Snapshots;

    /// <summary>Where the replica with this index in its group keeps its log and snapshots.</summary>
    public (TableClient Log, BlobContainerClient Snapshots) ForReplica(int replicaIndex) => (For(replicaIndex).Log, For(replicaIndex).Snapshots);

    private Account For(int replicaIndex) => _perReplica.Length > 0 ? _perReplica[replicaIndex] : _shared;

    /// <summary>One account's clients: the log table and snapshot container (brief retries), and the no-retry probe.</summary>
    private sealed record Account(TableClient Log, BlobContainerClient Snapshots, TableClient Probe);
}
