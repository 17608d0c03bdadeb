using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using LockService.Leases.Tests.Support;

namespace LockService.Leases.Tests.Properties;

/// <summary>
/// Properties over random command sequences. The per-step checks (mutual exclusion, token order, FIFO, exact
/// expiry, duplicates, rejections, internal consistency) run inside <see cref="ScenarioRunner"/>.
/// </summary>
public sealed class LeasePropertyTests
{
    [Property(MaxTest = 300, EndSize = 60)]
    public Property Every_step_keeps_exclusion_token_order_fifo_exact_expiry_and_exactly_once() =>
        Prop.ForAll(Scenario.Steps, steps => new ScenarioRunner(new LeaseHarness()).Run(steps));

    [Property(MaxTest = 200, EndSize = 60)]
    public Property Restore_of_a_snapshot_then_the_rest_of_the_log_equals_the_whole_log() =>
        Prop.ForAll(Scenario.Steps, Gen.Choose(0, 100).ToArbitrary(), (steps, cutPercent) =>
        {
            var whole = new ScenarioRunner(new LeaseHarness());
            whole.Run(steps);
            var log = whole.Log;
            var cut = log.Count * cutPercent / 100;

            var prefix = new LeaseStateMachine();
            foreach (var (command, term, index, _) in log.Take(cut))
            {
                prefix.Apply(command, term, index);
            }

            var snapshot = LeaseHarness.Snapshot(prefix);
            var restored = LeaseStateMachine.Restore(snapshot);
            Assert.Equal(snapshot, LeaseHarness.Snapshot(restored));

            var originalEvents = new List<LeaseEvent>();
            var restoredEvents = new List<LeaseEvent>();
            foreach (var (command, term, index, answer) in log.Skip(cut))
            {
                Assert.Equal(answer, restored.Apply(command, term, index, restoredEvents));
                prefix.Apply(command, term, index, originalEvents);
            }

            Assert.Equal(originalEvents, restoredEvents);
            Assert.Equal(LeaseHarness.Snapshot(whole.Harness.Machine), LeaseHarness.Snapshot(restored));
            restored.AssertConsistent();
        });
}
