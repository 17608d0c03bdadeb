namespace LockService.Client.Transport;

/// <summary>
/// The core's waits on its <see cref="TimeProvider"/>: a delay, and a bounded wait for a task. Their continuations
/// run where the timer fires, the awaited task completes or the token is cancelled, and never hop to the thread pool
/// (which awaiting one task from several places does, for all awaiters but one): so under a simulated clock and transport the whole SDK
/// runs inline in the simulation's steps, in seeded order (tests/Leases.Tests/Simulation).
/// </summary>
internal static class TimeProviderTasks
{
    /// <summary>Completes after <paramref name="delay"/> (never, for infinite), or is cancelled by <paramref name="cancellationToken"/>.</summary>
    public static Task DelayAsync(this TimeProvider time, TimeSpan delay, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        if (delay <= TimeSpan.Zero && delay != Timeout.InfiniteTimeSpan)
        {
            return Task.CompletedTask;
        }

        var wait = new Wait<bool>(timedOut: w => w.TrySetResult(true));
        wait.Arm(time, delay, cancellationToken);
        return wait.Task;
    }

    /// <summary>
    /// <paramref name="task"/>'s outcome, or <see cref="TimeoutException"/> after <paramref name="timeout"/> (none for
    /// infinite), or cancellation by <paramref name="cancellationToken"/>, whichever comes first.
    /// </summary>
    public static Task<T> WithTimeout<T>(this Task<T> task, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        if (task.IsCompleted)
        {
            return task;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<T>(cancellationToken);
        }

        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            return Task.FromException<T>(new TimeoutException());
        }

        var wait = new Wait<T>(timedOut: w => w.TrySetException(new TimeoutException()));
        // Not an await: when several waiters await one task, .NET runs all but one of their continuations on the
        // thread pool; synchronous ContinueWith continuations all run where the task completes.
        task.ContinueWith(
            static (t, w) => ((Wait<T>)w!).CompleteFrom(t), wait, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        wait.Arm(time, timeout, cancellationToken);
        return wait.Task;
    }

    /// <summary>
    /// <paramref name="primary"/>'s outcome, or <paramref name="alternative"/>'s result if that comes first and
    /// <paramref name="acceptAlternative"/> takes it (an alternative that fails or is not taken is ignored).
    /// </summary>
    public static Task<T> PrimaryOrAccepted<T>(Task<T> primary, Task<T> alternative, Func<T, bool> acceptAlternative)
    {
        var first = new Wait<T>(timedOut: static _ => { });
        // Synchronous continuations, as in WithTimeout: the primary is awaited again by every later attempt.
        primary.ContinueWith(
            static (t, w) => ((Wait<T>)w!).CompleteFrom(t), first, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        alternative.ContinueWith(
            (t, w) =>
            {
                if (t.IsCompletedSuccessfully && acceptAlternative(t.Result))
                {
                    ((Wait<T>)w!).CompleteFrom(t);
                }
            },
            first, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return first.Task;
    }

    /// <summary>
    /// The first of <paramref name="a"/> and <paramref name="b"/> to succeed; if neither does, <paramref name="a"/>'s
    /// outcome (once both have ended).
    /// </summary>
    public static Task<T> FirstSucceeded<T>(Task<T> a, Task<T> b)
    {
        var first = new Wait<T>(timedOut: static _ => { });
        var ended = 0;
        void OnEnded(Task<T> t)
        {
            if (t.IsCompletedSuccessfully)
            {
                first.CompleteFrom(t);
            }

            if (Interlocked.Increment(ref ended) == 2)
            {
                first.CompleteFrom(a); // neither succeeded (a success completed it already)
            }
        }

        // Synchronous continuations, as in WithTimeout.
        a.ContinueWith(static (t, s) => ((Action<Task<T>>)s!)(t), (Action<Task<T>>)OnEnded, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        b.ContinueWith(static (t, s) => ((Action<Task<T>>)s!)(t), (Action<Task<T>>)OnEnded, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return first.Task;
    }

    /// <inheritdoc cref="WithTimeout{T}(Task{T}, TimeSpan, TimeProvider, CancellationToken)"/>
    public static Task WithTimeout(this Task task, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        Completed(task).WithTimeout(timeout, time, cancellationToken);

    private static async Task<bool> Completed(Task task)
    {
        await task.ConfigureAwait(false);
        return true;
    }

    /// <summary>A promise whose continuations run synchronously, with its timer and registration released once it completes.</summary>
    private sealed class Wait<T>(Action<Wait<T>> timedOut) : TaskCompletionSource<T>
    {
        private ITimer? _timer;
        private CancellationTokenRegistration _registration;

        public void Arm(TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (timeout != Timeout.InfiniteTimeSpan)
            {
                _timer = time.CreateTimer(static s => ((Wait<T>)s!).OnTimeout(), this, timeout, Timeout.InfiniteTimeSpan);
            }

            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.UnsafeRegister(static (s, token) => ((Wait<T>)s!).OnCancelled(token), this);
            }

            if (Task.IsCompleted)
            {
                Release();
            }
        }

        public void CompleteFrom(Task<T> task)
        {
            var done = task.Status switch
            {
                TaskStatus.RanToCompletion => TrySetResult(task.Result),
                TaskStatus.Canceled => TrySetCanceled(CanceledToken(task)),
                _ => TrySetException(task.Exception!.InnerExceptions),
            };
            if (done)
            {
                Release();
            }
        }

        private static CancellationToken CanceledToken(Task task)
        {
            try
            {
                task.GetAwaiter().GetResult();
            }
            catch (OperationCanceledException e)
            {
                return e.CancellationToken;
            }

            return CancellationToken.None;
        }

        private void OnTimeout()
        {
            timedOut(this);
            Release();
        }

        private void OnCancelled(CancellationToken token)
        {
            if (TrySetCanceled(token))
            {
                Release();
            }
        }

        private void Release()
        {
            _timer?.Dispose();
            _registration.Dispose();
        }
    }
}
