using LockService.Testing;

namespace LockService.Chaos.Harness;

/// <summary>The run's own Azurite, on disk, which the nemesis stops and restarts on the same ports and data.</summary>
internal sealed class AzuriteControl : IAsyncDisposable
{
    private readonly string _dataDirectory;
    private readonly int _blob;
    private readonly int _queue;
    private readonly int _table;
    private string? _pid;

    private AzuriteControl(string dataDirectory, int blob, int queue, int table)
    {
        _dataDirectory = dataDirectory;
        (_blob, _queue, _table) = (blob, queue, table);
        ConnectionString = AzuriteScript.ConnectionString(blob, queue, table);
    }

    public string ConnectionString { get; }

    public static async Task<AzuriteControl> StartAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var ports = AzuriteScript.FreePorts(3);
        var azurite = new AzuriteControl(dataDirectory, ports[0], ports[1], ports[2]);
        await azurite.StartAsync(cancellationToken);
        return azurite;
    }

    /// <summary>Starts it again where it ran; returns once blob and table answer.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        (_pid, _) = await AzuriteScript.StartAsync(_dataDirectory, _blob, _queue, _table, cancellationToken);
    }

    /// <summary>Stops it (SIGTERM, so it saves its data as a storage service that goes away cleanly would).</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _pid, null) is { } pid)
        {
            await AzuriteScript.StopAsync(pid);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
