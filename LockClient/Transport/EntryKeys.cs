using LockService.Protocol;

namespace LockService.Client.Transport;

/// <summary>
/// The entry keys one client uses (<see cref="ILockEntryGrain"/>), in turn from a random start, skipping keys whose
/// calls went unanswered. Orleans binds each grain to one gateway, and gives each new grain the next gateway in its
/// round robin: a few keys spread over the gateways, and a key that hangs is most likely bound to the stuck one, so
/// it is left alone for a while. A fixed set keeps the entry activations few.
/// </summary>
internal sealed class EntryKeys(TimeProvider time)
{
    /// <summary>More than the silos of a usual cluster, so that every gateway gets some of them.</summary>
    public const int Count = 16;

    /// <summary>A call through a key unanswered this long makes the key one to avoid (as long as a router's first probe waits).</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a silent key is avoided: about as long as membership takes to declare a stuck silo dead.</summary>
    public static readonly TimeSpan AvoidFor = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly Slot[] _slots = [.. Enumerable.Range(0, Count).Select(_ => new Slot())];
    private int _next = Random.Shared.Next(Count);

    /// <summary>The key for the next call; report its end with <see cref="Answered"/> or <see cref="Unanswered"/>.</summary>
    public long Take()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var chosen = -1;
            for (var i = 0; i < Count && chosen < 0; i++)
            {
                var index = (_next + i) % Count;
                var slot = _slots[index];
                if (slot.Outstanding > 0 && time.GetElapsedTime(slot.WaitingSince, now) > SilentAfter)
                {
                    slot.AvoidUntil = Math.Max(slot.AvoidUntil, now + Ticks(AvoidFor));
                }

                if (slot.AvoidUntil <= now)
                {
                    chosen = index;
                }
            }

            if (chosen < 0)
            {
                chosen = _next % Count; // every key is avoided: take turns anyway
            }

            _next = chosen + 1;
            var taken = _slots[chosen];
            if (taken.Outstanding++ == 0)
            {
                taken.WaitingSince = now;
            }

            return chosen;
        }
    }

    /// <summary>A call through <paramref name="key"/> came back (a reply or an error): the path through its gateway works.</summary>
    public void Answered(long key) => End(key, answered: true);

    /// <summary>A call through <paramref name="key"/> timed out in Orleans itself.</summary>
    public void Unanswered(long key) => End(key, answered: false);

    private void End(long key, bool answered)
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var slot = _slots[key];
            slot.Outstanding = Math.Max(0, slot.Outstanding - 1);
            slot.WaitingSince = now; // the calls still out are younger than the one that ended, as far as this knows
            slot.AvoidUntil = answered ? 0 : now + Ticks(AvoidFor);
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private sealed class Slot
    {
        public int Outstanding;
        public long WaitingSince;
        public long AvoidUntil = long.MinValue;
    }
}
