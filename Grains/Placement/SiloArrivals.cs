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
public sealed class SiloArrivals(TimeProvider time)
{
    private readonly Dictionary<SiloAddress, long> _firstSeen = [];
    private readonly Lock _lock = new();

    public SiloArrivals()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Records the silos now active (first sighting: now) and forgets the ones that left.</summary>
    public void Observe(IReadOnlyCollection<SiloAddress> active)
    {
        var now = time.GetTimestamp();
        lock (_lock)
        {
            foreach (var silo in active)
            {
                _firstSeen.TryAdd(silo, now);
            }

            if (_firstSeen.Count > active.Count)
            {
                foreach (var gone in _firstSeen.Keys.Where(s => !active.Contains(s)).ToArray())
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
            return _firstSeen.TryGetValue(silo, out var since) ? time.GetElapsedTime(since) : TimeSpan.Zero;
        }
    }

    /// <summary>Whether a replica on <paramref name="current"/> should wait before moving to <paramref name="target"/>.</summary>
    public bool TooSoonToMove(SiloAddress current, SiloAddress target, TimeSpan moveInDelay) =>
        ActiveFor(target) < moveInDelay && ActiveFor(current) >= moveInDelay;
}
