using Microsoft.Extensions.Hosting;

namespace LockService.Client.Hosting;

/// <summary>
/// Closes the client's sessions when the host stops. Registered after <c>UseOrleansClient</c>, it stops before the
/// Orleans client does, so the sessions are closed (and their locks handed to waiters) while the cluster is still
/// reachable, instead of expiring a TTL later.
/// </summary>
internal sealed class LockClientLifetime : IHostedService
{
    private LockServiceClient? _client;

    public void Track(LockServiceClient client) => Interlocked.CompareExchange(ref _client, client, null);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _client) is { } client)
        {
            await client.DisposeAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
