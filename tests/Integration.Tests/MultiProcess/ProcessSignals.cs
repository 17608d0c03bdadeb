using System.Runtime.InteropServices;

namespace LockService.Testing;

/// <summary>
/// POSIX signals to a process by PID: SIGINT (Ctrl+C), SIGKILL, SIGTERM, and SIGSTOP/SIGCONT to freeze and thaw one (a long GC pause or
/// a VM stall, as far as its peers can tell). Shared by the multi-process integration tests, bench/LoadBench and
/// bench/Chaos (linked source).
/// </summary>
public static class ProcessSignals
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCONT = 18;
    public const int SIGSTOP = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>; false when no such process exists any more.</summary>
    public static bool Send(int pid, int signal) => pid > 0 && kill(pid, signal) == 0;

    [DllImport("libc", SetLastError = true)]
#pragma warning disable SA1300, IDE1006 // the libc name
    private static extern int kill(int pid, int signal);
#pragma warning restore SA1300, IDE1006
}
