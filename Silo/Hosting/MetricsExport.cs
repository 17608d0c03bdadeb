using LockService.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LockService.Silo.Hosting;

/// <summary>
/// Exports the server's meter and Orleans' own through OpenTelemetry, scraped at <c>/metrics</c> (Prometheus text), and
/// the replicas' request spans with Orleans' grain-call spans, pushed over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
public static class MetricsExport
{
    /// <summary>The OpenTelemetry service name of a silo (its metrics' target_info and its spans), unless OTEL_SERVICE_NAME is set.</summary>
    public const string ServiceName = "LockService.Silo";

    /// <summary>Orleans' meter (messaging, grains, membership, ...).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    /// <summary>Orleans' spans of grain calls (with activity propagation, they carry the callers' trace context).</summary>
    public static readonly string[] OrleansActivitySources = ["Microsoft.Orleans.Application", "Microsoft.Orleans.Runtime"];

    /// <param name="otlpEndpoint">OTEL_EXPORTER_OTLP_ENDPOINT: where to push traces; none, no tracer (spans still reach other in-process listeners).</param>
    public static IServiceCollection AddLockServiceMetrics(this IServiceCollection services, string? otlpEndpoint = null)
    {
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // Without a name every series and span says "unknown_service:dotnet"; OTEL_SERVICE_NAME still wins.
                if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME")))
                {
                    resource.AddService(ServiceName);
                }
            })
            .WithMetrics(metrics => metrics
                .AddMeter(ReplicaMetrics.MeterName, OrleansMeterName)
                .AddPrometheusExporter());

        // A tracer without an exporter still listens to every grain call's span (Raft messages included), recording
        // them for nobody: 10-15 % of a silo's CPU per lock pair (docs/PERFORMANCE.md). Spans exist only when exported.
        if (!string.IsNullOrWhiteSpace(otlpEndpoint))
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(ReplicaTracing.SourceName)
                .AddSource(OrleansActivitySources)
                .AddOtlpExporter());
        }

        return services;
    }

    public static IEndpointRouteBuilder MapLockServiceMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }
}
