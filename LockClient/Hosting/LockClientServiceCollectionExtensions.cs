using System.Diagnostics.Metrics;
using LockService.Client.Hosting;
using LockService.Client.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LockService.Client;

/// <summary>Registers the LockService client in a .NET host.</summary>
public static class LockClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ILockClient"/> (a singleton) on top of the Orleans grain factory: the
    /// <see cref="IClusterClient"/> from <c>UseOrleansClient</c> (any clustering), or the silo's own grain factory
    /// when called inside a silo. <see cref="LockClientOptions"/> are validated when the host starts.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Changes to the default options, or <c>null</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <example>
    /// <code>
    /// builder.UseOrleansClient(client => client.UseLocalhostClustering());
    /// builder.Services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(15));
    /// </code>
    /// </example>
    public static IServiceCollection AddLockClient(this IServiceCollection services, Action<LockClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LockClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LockClientOptions>, LockClientOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LockClientLifetime>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LockClientLifetime>(sp => sp.GetRequiredService<LockClientLifetime>()));
        services.TryAddSingleton<ILockClient>(CreateClient);
        return services;
    }

    private static LockServiceClient CreateClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<LockClientOptions>>().Value;
        var grains = services.GetService<IGrainFactory>() ?? services.GetService<IClusterClient>()
            ?? throw new InvalidOperationException(
                "AddLockClient needs Orleans: call UseOrleansClient(...) on the host builder, or register the lock client inside a silo (UseOrleans).");
        var time = services.GetRequiredService<TimeProvider>();
        var loggers = services.GetService<ILoggerFactory>();
        var transport = new ReplicaRouter(
            new OrleansReplicaChannel(new GrainFactoryResolver(grains)), options, time, loggers?.CreateLogger("LockService.Client.Transport") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var client = new LockServiceClient(transport, options, time, loggers, services.GetService<IMeterFactory>());
        services.GetRequiredService<LockClientLifetime>().Track(client);
        return client;
    }
}
