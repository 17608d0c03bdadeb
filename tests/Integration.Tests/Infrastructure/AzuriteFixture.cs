using LockService.Testing;

namespace LockService.Integration.Tests.Infrastructure;

/// <summary>
/// One Azurite for the whole test assembly. Uses LOCKSERVICE_TEST_STORAGE when set; otherwise starts the
/// repository's pinned Azurite in memory on free loopback ports, so it never collides with an Azurite the
/// user already runs, and stops it (by its own PID) when the assembly is done.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private string? _pid;

    public string ConnectionString { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("LOCKSERVICE_TEST_STORAGE");
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            ConnectionString = fromEnvironment;
            return;
        }

        (_pid, ConnectionString) = await AzuriteScript.StartAsync("memory");
    }

    public async ValueTask DisposeAsync()
    {
        if (_pid is not null)
        {
            await AzuriteScript.StopAsync(_pid);
        }
    }
}
