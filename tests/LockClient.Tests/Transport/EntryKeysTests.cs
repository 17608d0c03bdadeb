using LockService.Client.Transport;
using Microsoft.Extensions.Time.Testing;

namespace LockService.Client.Tests.Transport;

public sealed class EntryKeysTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Keys_are_taken_in_turn_over_the_whole_set()
    {
        var keys = new EntryKeys(_time);
        var taken = Enumerable.Range(0, EntryKeys.Count).Select(_ => keys.Take()).ToList();
        foreach (var key in taken)
        {
            keys.Answered(key);
        }

        Assert.Equal(EntryKeys.Count, taken.Distinct().Count());
        Assert.Equal(taken[0], keys.Take()); // and round again
    }

    [Fact]
    public void A_key_whose_call_hangs_is_avoided_until_it_answers_or_the_avoidance_lapses()
    {
        var keys = new EntryKeys(_time);
        var silent = keys.Take(); // never answered: bound to a stuck gateway
        _time.Advance(EntryKeys.SilentAfter + TimeSpan.FromMilliseconds(1));

        var next = Enumerable.Range(0, 3 * EntryKeys.Count).Select(_ => keys.Take()).ToList();
        Assert.DoesNotContain(silent, next);

        keys.Answered(silent); // late, but it answered: the path works after all
        Assert.Contains(silent, Enumerable.Range(0, EntryKeys.Count).Select(_ => keys.Take()));
    }

    [Fact]
    public void A_key_whose_call_timed_out_is_avoided_for_a_while()
    {
        var keys = new EntryKeys(_time);
        var timedOut = keys.Take();
        keys.Unanswered(timedOut);

        Assert.DoesNotContain(timedOut, Enumerable.Range(0, 3 * EntryKeys.Count).Select(_ => keys.Take()));
        _time.Advance(EntryKeys.AvoidFor + TimeSpan.FromMilliseconds(1));
        Assert.Contains(timedOut, Enumerable.Range(0, EntryKeys.Count).Select(_ => keys.Take()));
    }

    [Fact]
    public void Keys_that_answered_lately_are_preferred_to_keys_not_heard_from()
    {
        // A silo paused: the keys bound to it have not answered since. Probes through the others just did.
        var keys = new EntryKeys(_time);
        for (var i = 0; i < EntryKeys.Count; i++)
        {
            keys.Answered(keys.Take());
        }

        _time.Advance(EntryKeys.FreshFor + TimeSpan.FromMilliseconds(1));
        var live = new[] { keys.Take(), keys.Take(), keys.Take() };
        foreach (var key in live)
        {
            keys.Answered(key);
        }

        for (var i = 0; i < 3 * EntryKeys.Count; i++)
        {
            var key = keys.Take();
            Assert.Contains(key, live);
            keys.Answered(key);
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }

        // Once no key is fresh, they are all taken in turn again.
        _time.Advance(EntryKeys.FreshFor + TimeSpan.FromMilliseconds(1));
        var taken = Enumerable.Range(0, EntryKeys.Count).Select(_ => keys.Take()).ToList();
        Assert.Equal(EntryKeys.Count, taken.Distinct().Count());
    }

    [Fact]
    public void When_every_key_is_avoided_the_keys_are_still_taken_in_turn()
    {
        var keys = new EntryKeys(_time);
        for (var i = 0; i < EntryKeys.Count; i++)
        {
            keys.Unanswered(keys.Take());
        }

        var taken = Enumerable.Range(0, EntryKeys.Count).Select(_ => keys.Take()).ToList();
        Assert.Equal(EntryKeys.Count, taken.Distinct().Count());
    }
}
