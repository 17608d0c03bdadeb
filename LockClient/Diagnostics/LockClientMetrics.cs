using System.Diagnostics.Metrics;

namespace LockService.Client.Diagnostics;

/// <summary>
/// The SDK's metrics, on the meter <see cref="MeterName"/>: acquires by result, acquire latency, lost leases by
/// reason and retries by operation and reason.
/// </summary>
internal sealed class LockClientMetrics : IDisposable
{
    public const string MeterName = "LockService.Client";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _acquires;
    private readonly Histogram<double> _acquireDuration;
    private readonly Counter<long> _lostLeases;
    private readonly Counter<long> _retries;

    public LockClientMetrics(IMeterFactory? meterFactory)
    {
        _ownsMeter = meterFactory is null;
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _acquires = _meter.CreateCounter<long>("lockservice.client.acquires", "{acquire}", "Acquire attempts by result (granted, not_acquired, timed_out, cancelled, failed).");
        _acquireDuration = _meter.CreateHistogram<double>("lockservice.client.acquire.duration", "ms", "Time from the call to AcquireAsync/TryAcquireAsync to its result.");
        _lostLeases = _meter.CreateCounter<long>("lockservice.client.leases.lost", "{lock}", "Locks whose LostToken fired, by reason.");
        _retries = _meter.CreateCounter<long>("lockservice.client.retries", "{retry}", "Calls retried after an unavailable, overloaded or failed answer, by operation and reason.");
    }

    public void Acquired(LockMode mode, string result, TimeSpan elapsed)
    {
        var modeTag = new KeyValuePair<string, object?>("mode", mode == LockMode.Shared ? "shared" : "exclusive");
        var resultTag = new KeyValuePair<string, object?>("result", result);
        _acquires.Add(1, modeTag, resultTag);
        _acquireDuration.Record(elapsed.TotalMilliseconds, modeTag, resultTag);
    }

    public void LeaseLost(LostReason reason) =>
        _lostLeases.Add(1, new KeyValuePair<string, object?>("reason", reason.ToTag()));

    public void Retried(string operation, string reason) =>
        _retries.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("reason", reason));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
