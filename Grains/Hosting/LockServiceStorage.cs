using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Options;

namespace LockService.Hosting;

/// <summary>The storage clients every replica of this silo shares (clients are thread-safe and pool connections).</summary>
public sealed class LockServiceStorage(IOptions<LockServiceOptions> options)
{
    public TableClient Log { get; } =
        new TableServiceClient(options.Value.StorageConnectionString).GetTableClient(options.Value.TableName);

    public BlobContainerClient Snapshots { get; } =
        new BlobServiceClient(options.Value.StorageConnectionString).GetBlobContainerClient(options.Value.SnapshotContainer);
}
