using Medallion.Threading;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LockService.Client;

/// <summary>
/// The Medallion DistributedLock providers (<see cref="IDistributedLockProvider"/>,
/// <see cref="IDistributedReaderWriterLockProvider"/>, <see cref="IDistributedSemaphoreProvider"/>) served by
/// LockService, so code written against those abstractions switches to LockService by changing one registration
/// (<see cref="LockServiceDistributedLockServiceCollectionExtensions.AddLockServiceDistributedLocks"/>). Names are
/// mapped by <see cref="LockServiceSafeNames.GetSafeName"/>, so any string is a valid name.
/// </summary>
public sealed class LockServiceDistributedSynchronizationProvider
    : IDistributedLockProvider, IDistributedReaderWriterLockProvider, IDistributedSemaphoreProvider
{
    private readonly ILockClient _client;

    /// <summary>Creates the provider over <paramref name="client"/>.</summary>
    /// <param name="client">The LockService client.</param>
    public LockServiceDistributedSynchronizationProvider(ILockClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <inheritdoc/>
    public IDistributedLock CreateLock(string name) => new LockServiceDistributedLock(_client, name);

    /// <inheritdoc/>
    public IDistributedReaderWriterLock CreateReaderWriterLock(string name) => new LockServiceDistributedReaderWriterLock(_client, name);

    /// <inheritdoc/>
    public IDistributedSemaphore CreateSemaphore(string name, int maxCount) => new LockServiceDistributedSemaphore(_client, name, maxCount);
}

/// <summary>Registers the Medallion DistributedLock providers served by LockService.</summary>
public static class LockServiceDistributedLockServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDistributedLockProvider"/>, <see cref="IDistributedReaderWriterLockProvider"/> and
    /// <see cref="IDistributedSemaphoreProvider"/> served by LockService, together with the <see cref="ILockClient"/> they use (see
    /// <see cref="LockClientServiceCollectionExtensions.AddLockClient"/>; Orleans must be configured on the host).
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Changes to the default client options, or <c>null</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddLockServiceDistributedLocks(this IServiceCollection services, Action<LockClientOptions>? configure = null)
    {
        services.AddLockClient(configure);
        services.TryAddSingleton(sp => new LockServiceDistributedSynchronizationProvider(sp.GetRequiredService<ILockClient>()));
        services.TryAddSingleton<IDistributedLockProvider>(sp => sp.GetRequiredService<LockServiceDistributedSynchronizationProvider>());
        services.TryAddSingleton<IDistributedReaderWriterLockProvider>(sp => sp.GetRequiredService<LockServiceDistributedSynchronizationProvider>());
        services.TryAddSingleton<IDistributedSemaphoreProvider>(sp => sp.GetRequiredService<LockServiceDistributedSynchronizationProvider>());
        return services;
    }
}
