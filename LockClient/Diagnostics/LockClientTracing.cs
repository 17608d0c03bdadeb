using System.Diagnostics;

namespace LockService.Client.Diagnostics;

/// <summary>
/// The SDK's spans, on the ActivitySource <see cref="SourceName"/>: one per acquire (from the call to its result, with
/// the lock, mode, result and token) and one per release. With Orleans' activity propagation on the client
/// (<c>clientBuilder.AddActivityPropagation()</c>) the silo's spans of the same request join the trace as children.
/// </summary>
public static class LockClientTracing
{
    /// <summary>The ActivitySource name to add to a tracer (e.g. <c>tracing.AddSource(LockClientTracing.SourceName)</c>).</summary>
    public const string SourceName = "LockService.Client";

    internal static readonly ActivitySource Source = new(SourceName);

    internal static Activity? StartAcquire(string name, LockMode mode, int maxCount)
    {
        var activity = Source.StartActivity("lockservice.acquire", ActivityKind.Client);
        activity?.SetTag("lockservice.lock", name);
        activity?.SetTag("lockservice.mode", mode.ToString());
        if (maxCount > 0)
        {
            activity?.SetTag("lockservice.semaphore.max_count", maxCount);
        }

        return activity;
    }

    internal static void Acquired(Activity? activity, string result, FencingToken? token)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetTag("lockservice.result", result);
        if (token is { } granted)
        {
            activity.SetTag("lockservice.token", granted.ToString());
        }

        if (result is "failed")
        {
            activity.SetStatus(ActivityStatusCode.Error);
        }
    }

    internal static Activity? StartRelease(string name, FencingToken token)
    {
        var activity = Source.StartActivity("lockservice.release", ActivityKind.Client);
        activity?.SetTag("lockservice.lock", name);
        activity?.SetTag("lockservice.token", token.ToString());
        return activity;
    }
}
