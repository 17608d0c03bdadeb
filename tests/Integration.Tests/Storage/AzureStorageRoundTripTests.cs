using Azure.Data.Tables;
using Azure.Storage.Blobs;
using LockService.Integration.Tests.Infrastructure;
using Orleans.TestingHost;

namespace LockService.Integration.Tests.Storage;

public interface IRoundTripGrain : IGrainWithStringKey
{
    Task WriteAsync(string value);
    Task<string?> ReadAsync();
}

[GenerateSerializer]
[Alias("LockService.Integration.Tests.RoundTripState")]
public sealed class RoundTripState
{
    [Id(0)] public string? Value { get; set; }
}

public sealed class TableRoundTripGrain([PersistentState("state", "table")] IPersistentState<RoundTripState> state)
    : Grain, IRoundTripGrain
{
    public async Task WriteAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> ReadAsync() => Task.FromResult(state.State.Value);
}

public sealed class BlobRoundTripGrain([PersistentState("state", "blob")] IPersistentState<RoundTripState> state)
    : Grain, IRoundTripGrain
{
    public async Task WriteAsync(string value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task<string?> ReadAsync() => Task.FromResult(state.State.Value);
}

/// <summary>Grain state written to Azurite survives deactivation: the storage wiring the service relies on works.</summary>
public sealed class AzureStorageRoundTripTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddAzureTableGrainStorage("table", o => o.TableServiceClient = new TableServiceClient(azurite.ConnectionString));
            silo.AddAzureBlobGrainStorage("blob", o => o.BlobServiceClient = new BlobServiceClient(azurite.ConnectionString));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public Task Table_storage_state_survives_deactivation() =>
        AssertStateSurvivesDeactivation(typeof(TableRoundTripGrain));

    [Fact]
    public Task Blob_storage_state_survives_deactivation() =>
        AssertStateSurvivesDeactivation(typeof(BlobRoundTripGrain));

    private async Task AssertStateSurvivesDeactivation(Type grainClass)
    {
        var grain = _cluster.Client.GetGrain<IRoundTripGrain>(Guid.NewGuid().ToString("N"), grainClass.FullName);
        Assert.Null(await grain.ReadAsync());

        await grain.WriteAsync("committed-value");
        await _cluster.DeactivateAsync(grain);

        Assert.Equal("committed-value", await grain.ReadAsync());
    }
}
