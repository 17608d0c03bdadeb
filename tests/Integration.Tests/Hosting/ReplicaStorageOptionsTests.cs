using System.ComponentModel.DataAnnotations;
using LockService.Hosting;
using Microsoft.Extensions.Options;

namespace LockService.Integration.Tests.Hosting;

/// <summary>Storage per replica index: validated against the group size, and each replica index gets its own account.</summary>
public sealed class ReplicaStorageOptionsTests
{
    private static string Account(int port) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port + 2}/devstoreaccount1;";

    private static List<ValidationResult> Validate(LockServiceOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }

    [Fact]
    public void A_list_that_does_not_name_every_replica_index_is_refused()
    {
        var results = Validate(new LockServiceOptions { ReplicaStorageConnectionStrings = [Account(20000), Account(20010)] });

        Assert.Contains(results, r => r.MemberNames.Contains(nameof(LockServiceOptions.ReplicaStorageConnectionStrings)));
    }

    [Fact]
    public void No_list_means_one_shared_account_for_every_replica()
    {
        var options = new LockServiceOptions { StorageConnectionString = Account(20000) };
        Assert.Empty(Validate(options));

        var storage = new LockServiceStorage(Options.Create(options));

        Assert.All(Enumerable.Range(0, 3), i => Assert.Same(storage.Log, storage.ForReplica(i).Log));
    }

    [Fact]
    public void Each_replica_index_writes_to_its_own_account()
    {
        var options = new LockServiceOptions { StorageConnectionString = Account(20000), ReplicaStorageConnectionStrings = [Account(20010), Account(20020), Account(20030)] };
        Assert.Empty(Validate(options));

        var storage = new LockServiceStorage(Options.Create(options));

        Assert.Equal([20012, 20022, 20032], Enumerable.Range(0, 3).Select(i => storage.ForReplica(i).Log.Uri.Port));
        Assert.Equal([20010, 20020, 20030], Enumerable.Range(0, 3).Select(i => storage.ForReplica(i).Snapshots.Uri.Port));
    }

    [Theory]
    [InlineData(50)]
    [InlineData(400_000)]
    public void A_storage_timeout_outside_100_ms_to_5_min_is_refused(int milliseconds)
    {
        var results = Validate(new LockServiceOptions { StorageTimeout = TimeSpan.FromMilliseconds(milliseconds) });

        Assert.Contains(results, r => r.MemberNames.Contains(nameof(LockServiceOptions.StorageTimeout)));
    }
}
