using LockService.Client;

namespace LockService.Chaos.History;

/// <summary>
/// One acknowledged acquire, as its client saw it: sent at <see cref="InvokedTs"/>, answered with <see cref="Token"/>
/// at <see cref="AcquiredTs"/>, believed held until <see cref="HoldEndTs"/> (the client started releasing, or its
/// handle reported the lock lost; null: still held when the history ended); <see cref="Released"/> when the service
/// acknowledged its release, so it still counted the client as the holder when that release applied. Timestamps are
/// <see cref="System.Diagnostics.Stopwatch"/> ticks, one monotonic clock shared by every process on the machine.
/// </summary>
public sealed record Grant(int Client, string Lock, FencingToken Token, long InvokedTs, long AcquiredTs, long? HoldEndTs, bool Released = false);
