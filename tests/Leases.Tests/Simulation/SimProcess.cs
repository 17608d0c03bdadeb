using System.Runtime.ExceptionServices;

namespace LockService.Leases.Tests.Simulation;

using LockService.Simulation;

/// <summary>
/// A simulated client process: its own drifting clock, and the gate every one of its steps goes through. A paused
/// process runs nothing (its timers and the replies that reach it wait until it resumes, as in a GC pause or a
/// stopped VM); a stopped one runs nothing ever again (what it sent still lands). The SDK's code runs inline in
/// these steps: its awaited calls and timers complete here, so its continuations run here, deterministically.
/// </summary>
internal sealed class SimProcess(Simulation sim, VirtualClock clock)
{
    private readonly List<Action> held = [];
    private ExceptionDispatchInfo? failure;

    public VirtualClock Clock { get; } = clock;

    public bool IsStopped { get; private set; }

    /// <summary>Runs after each step of the process (to observe what its code decided in the step).</summary>
    public Action? AfterStep { get; set; }

    public bool IsPaused { get; private set; }

    /// <summary>Runs <paramref name="action"/> after <paramref name="localMicros"/> of this process's clock.</summary>
    /// <summary>The thread the simulation runs on: every step of the process must run there.</summary>
    public int Owner { get; set; } = Environment.CurrentManagedThreadId;

    /// <summary>Runs <paramref name="action"/> after <paramref name="localMicros"/> of this process's clock.</summary>
    public void AfterLocal(long localMicros, Action action)
    {
        CheckThread();
        sim.At(Clock.GlobalAt(Clock.NowMicros + Math.Max(0, localMicros)), () => Run(action));
    }

    /// <summary>
    /// A continuation of the process that left the simulation's thread (.NET moved it to the thread pool) would run
    /// outside the seeded order, racing the simulation: fail loudly rather than flake.
    /// </summary>
    public void CheckThread()
    {
        if (Environment.CurrentManagedThreadId != Owner)
        {
            var violation = new InvariantViolation($"nondeterminism: a step of the client process ran on thread {Environment.CurrentManagedThreadId}, not the simulation's {Owner}");
            Fail(violation);
            throw violation;
        }
    }

    /// <summary>Runs a step of this process now (held while paused, dropped once stopped).</summary>
    public void Run(Action action)
    {
        if (IsStopped)
        {
            return;
        }

        if (IsPaused)
        {
            held.Add(action);
            return;
        }

        action();
        AfterStep?.Invoke();
        failure?.Throw();
    }

    /// <summary>An exception that escaped the process's own async code (an invariant the checker found there): ends the run at this step.</summary>
    public void Fail(Exception exception) => failure ??= ExceptionDispatchInfo.Capture(exception);

    public void Pause(long globalMicros)
    {
        if (IsPaused || IsStopped)
        {
            return;
        }

        IsPaused = true;
        sim.After(globalMicros, () =>
        {
            IsPaused = false;
            var resumed = held.ToArray();
            held.Clear();
            foreach (var action in resumed)
            {
                Run(action);
            }
        });
    }

    public void Stop()
    {
        IsStopped = true;
        held.Clear();
    }
}
