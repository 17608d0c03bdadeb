using System.Diagnostics;
using LockService.Replica;

namespace LockService.Hosting;

/// <summary>
/// The replica's spans, on the ActivitySource <see cref="SourceName"/>: one per client request, from its arrival at
/// the replica to its answer (for a command: proposed, committed on a majority, applied). Orleans' activity
/// propagation (on by default with AddLockService) makes it a child of the caller's span, e.g. the SDK's acquire.
/// </summary>
public static class ReplicaTracing
{
    public const string SourceName = "LockService.Server";

    private static readonly ActivitySource Source = new(SourceName);

    internal static Activity? StartRequest(ReplicaRequest request, string replicaKey)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var activity = Source.StartActivity("lockservice.replica." + request.GetType().Name.ToLowerInvariant());
        activity?.SetTag("lockservice.replica", replicaKey);
        if (activity is not null && LockName(request) is { } name)
        {
            activity.SetTag("lockservice.lock", name);
        }

        return activity;
    }

    /// <summary>Ends the span when the core answers (or forwards the call to the leader, which traces its own span).</summary>
    internal static async Task<CoreAnswer> Traced(Task<CoreAnswer> answer, Activity activity)
    {
        try
        {
            var outcome = await answer;
            activity.SetTag("lockservice.reply", outcome.Reply?.Code.ToString() ?? "Forwarded");
            if (outcome.Reply is ReplicaReply.Acquire { Code: ReplyCode.Granted } granted)
            {
                activity.SetTag("lockservice.token", granted.Token.ToString());
            }

            return outcome;
        }
        catch (Exception e)
        {
            activity.SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        finally
        {
            activity.Stop();
        }
    }

    private static string? LockName(ReplicaRequest request) => request switch
    {
        ReplicaRequest.Acquire acquire => acquire.Name,
        ReplicaRequest.Release release => release.Name,
        ReplicaRequest.CancelWait cancel => cancel.Name,
        ReplicaRequest.Describe describe => describe.Name,
        ReplicaRequest.ForceRelease force => force.Name,
        _ => null,
    };
}
