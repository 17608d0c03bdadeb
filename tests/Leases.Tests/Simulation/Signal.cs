namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// The grain's <c>TaskCompletionSource</c> with <c>RunContinuationsAsynchronously</c>: set once (result or
/// cancellation); its continuations run as a later step of the simulation, not inside the step that set it.
/// </summary>
internal sealed class Signal<T>(Simulation simulation)
{
    private readonly List<(Action<T> OnResult, Action? OnCanceled)> continuations = [];
    private bool done;
    private bool canceled;
    private T? result;

    public bool TrySetResult(T value)
    {
        if (done)
        {
            return false;
        }

        done = true;
        result = value;
        Run();
        return true;
    }

    public bool TrySetCanceled()
    {
        if (done)
        {
            return false;
        }

        done = true;
        canceled = true;
        Run();
        return true;
    }

    public void OnResult(Action<T> onResult, Action? onCanceled = null)
    {
        continuations.Add((onResult, onCanceled));
        if (done)
        {
            Run();
        }
    }

    private void Run()
    {
        var pending = continuations.ToArray();
        continuations.Clear();
        foreach (var (onResult, onCanceled) in pending)
        {
            var value = result!;
            var wasCanceled = canceled;
            simulation.After(0, () =>
            {
                if (!wasCanceled)
                {
                    onResult(value);
                }
                else
                {
                    onCanceled?.Invoke();
                }
            });
        }
    }
}
