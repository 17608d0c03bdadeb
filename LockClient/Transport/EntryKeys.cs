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
    /// <summary>More than the silos of a usual cluster, so that every gateway gets some of them (the silos warm these keys).</summary>
    public const int Count = ILockEntryGrain.KeyCount;

    /// <summary>A call through a key unanswered this long makes the key one to avoid (as long as a router's first probe waits).</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromMilliseconds(250);

    /// <summary>How long a silent key is avoided: about as long as membership takes to declare a stuck silo dead.</summary>
    public static readonly TimeSpan AvoidFor = TimeSpan.FromSeconds(10);

    private readonly object _gate = new();
    private readonly Slot[] _slots = [.. Enumerable.Range(0, Count).Select(_ => new Slot())];
    private int _next = Random.Shared.Next(Count);

    /// <summary>
    /// A key answered this recently is preferred: its gateway is up now. In a silo's pause, the probes' answers mark the
    /// keys bound to live gateways within a probe period or two, while the keys bound to the paused one are never used
    /// again until they are found silent (which costs a call each).
    /// </summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(1);

    /// <summary>The key for the next call; report its end with <see cref="Answered"/> or <see cref="Unanswered"/>.</summary>
    public long Take()
    {
        lock (_gate)
        {
            var now = time.GetTimestamp();
            int usable = -1, fresh = -1;
            for (var i = 0; i < Count && fresh < 0; i++)
            {
                var index = (_next + i) % Count;
                var slot = _slots[index];
                if (slot.Outstanding > 0 && time.GetElapsedTime(slot.WaitingSince, now) > SilentAfter)
                {
                    slot.AvoidUntil = Math.Max(slot.AvoidUntil, now + Ticks(AvoidFor));
                }

                if (slot.AvoidUntil > now)
                {
                    continue;
                }

                if (usable < 0)
                {
                    usable = index;
                }

                if (slot.LastAnswered != long.MinValue && time.GetElapsedTime(slot.LastAnswered, now) <= FreshFor)
                {
                    fresh = index;
                }
            }

            // A fresh key, else the next usable one in turn, else (every key avoided) the next in turn anyway.
            var chosen = fresh >= 0 ? fresh : usable >= 0 ? usable : _next % Count;
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
            if (answered)
            {
                slot.LastAnswered = now;
            }
        }
    }

    private long Ticks(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    private sealed class Slot
    {
        public int Outstanding;
        public long WaitingSince;
        public long AvoidUntil = long.MinValue;
        public long LastAnswered = long.MinValue;
    }
}
