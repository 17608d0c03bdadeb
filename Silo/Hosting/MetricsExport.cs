using LockService.Hosting;
using OpenTelemetry.Metrics;

namespace LockService.Silo.Hosting;

/// <summary>
/// Exports the server's meter and Orleans' own through OpenTelemetry, scraped at <c>/metrics</c> (Prometheus text).
/// Add an OTLP exporter through OpenTelemetry's usual configuration to push them elsewhere.
/// </summary>
public static class MetricsExport
{
    /// <summary>Orleans' meter (messaging, grains, membership, ...).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    public static IServiceCollection AddLockServiceMetrics(this IServiceCollection services)
    {
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ReplicaMetrics.MeterName, OrleansMeterName)
            .AddPrometheusExporter());
        return services;
    }

    public static IEndpointRouteBuilder MapLockServiceMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
