using LockService.Client.Diagnostics;

namespace LockService.Client;

/// <summary>Handles dropped without being disposed: released from their finalizer through the normal path.</summary>
internal sealed partial class LockServiceClient
{
    /// <summary>Called on the finalizer thread: does nothing there but queue the work.</summary>
    internal void OnAbandoned(LockHandle handle)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return; // disposing the client closed the sessions, and with them the lock
        }

        Sessions.RunInBackground(
            async _ =>
            {
                Log.LockAbandoned(_logger, handle.Name, handle.Token);
                _metrics.LeaseLost(LostReason.Abandoned);
                try
                {
                    handle.FireLostForAbandonment();
                }
                catch (AggregateException e)
                {
                    Log.AbandonedCallbackFailed(_logger, e, handle.Name, handle.Token);
                }

                await handle.DisposeAsync().ConfigureAwait(false);
            },
            "release-abandoned",
            handle.Session.Group);
    }
}
