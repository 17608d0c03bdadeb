using System.Diagnostics;
using Orleans.Runtime;

namespace LockService.Placement;

/// <summary>
/// When this silo first saw each silo active. A restarted silo turns Active in membership before its host has
/// finished starting (0.6–2.3 s before "Silo ready" in the chaos runs) and spends its first seconds compiling code
/// on a core the other silos need. A replica that moved onto it then took 0.5–2.2 s to come back, one replica short
/// of its group for all that time, and commits stalled with any hiccup of the other follower. So a replica on a
/// settled silo waits until its home has been active for <see cref="LockServiceOptions.MoveInDelay"/>; when this
/// silo is new as well (a cluster starting), every silo is, and replicas spread at once.
/// </summary>
public sealed class SiloArrivals
{
    private readonly Dictionary<SiloAddress, long> _firstSeen = [];
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _localSince;

    public SiloArrivals(TimeProvider time)
        : this(time, DateTime.Now - Process.GetCurrentProcess().StartTime)
    {
    }

    /// <param name="localUptime">How long this silo's process has run: this silo counts as active since it started,
    /// not since its first replica looked (a replica reactivated on a silo restarted 10 s earlier took the silo
    /// for new, and moved onto its own just-returned home at once).</param>
    internal SiloArrivals(TimeProvider time, TimeSpan localUptime)
    {
        _time = time;
        _localSince = time.GetTimestamp() - (long)(Math.Max(0, localUptime.TotalSeconds) * time.TimestampFrequency);
    }

    /// <summary>Records the silos now active (first sighting: now; this silo: its start) and forgets the ones that left.</summary>
    public void Observe(IReadOnlyCollection<SiloAddress> active, SiloAddress local)
    {
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            _firstSeen.TryAdd(local, _localSince);
            foreach (var silo in active)
            {
                _firstSeen.TryAdd(silo, now);
            }

            if (_firstSeen.Count > active.Count)
            {
                foreach (var gone in _firstSeen.Keys.Where(s => !active.Contains(s) && !s.Equals(local)).ToArray())
                {
                    _firstSeen.Remove(gone);
                }
            }
        }
    }

    /// <summary>How long <paramref name="silo"/> has been seen active; zero if it never was.</summary>
    public TimeSpan ActiveFor(SiloAddress silo)
    {
        lock (_lock)
        {
            return _firstSeen.TryGetValue(silo, out var since) ? _time.GetElapsedTime(since) : TimeSpan.Zero;
        }
    }

    /// <summary>Whether a replica on <paramref name="current"/> should wait before moving to <paramref name="target"/>.</summary>
    public bool TooSoonToMove(SiloAddress current, SiloAddress target, TimeSpan moveInDelay) =>
        ActiveFor(target) < moveInDelay && ActiveFor(current) >= moveInDelay;
}
