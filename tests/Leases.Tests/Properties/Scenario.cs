using FsCheck;
using FsCheck.Fluent;
using LockService.Client;

namespace LockService.Leases.Tests.Properties;

/// <summary>One abstract step of a random scenario; the runner turns it into a concrete command.</summary>
public abstract record Step;

public sealed record OpenStep(int Slot, int TtlSeconds) : Step;

public sealed record CloseStep(int Slot) : Step;

public sealed record AcquireStep(int Slot, int Lock, LockMode Mode, int WaitMs, int LockDelayMs) : Step;

/// <summary>TokenChoice: 0 = the token held, 1 = an older token, 2 = a made-up token.</summary>
public sealed record ReleaseStep(int Slot, int Lock, int TokenChoice) : Step;

public sealed record CancelStep(int Slot, int Lock) : Step;

public sealed record TickStep(int AdvanceMs, int RenewMask) : Step;

/// <summary>Applies again the client command applied <c>Back</c> client commands ago.</summary>
public sealed record DuplicateStep(int Back) : Step;

public sealed record NewTermStep : Step;

/// <summary>
/// Random command sequences over a small world (3 clients, 6 session slots, 3 locks and 2 semaphores of
/// <see cref="Permits"/> permits: lock indexes from <see cref="Locks"/> on) so that they collide.
/// </summary>
public static class Scenario
{
    public const int Slots = 6;
    public const int Locks = 3;
    public const int Semaphores = 2;
    public const int Permits = 2;

    public static Gen<Step> StepGen { get; } = Gen.Frequency(
        (3, from slot in Gen.Choose(0, Slots - 1)
            from ttl in Gen.Elements(1, 2, 5, 30)
            select (Step)new OpenStep(slot, ttl)),
        (1, Gen.Choose(0, Slots - 1).Select(slot => (Step)new CloseStep(slot))),
        (8, from slot in Gen.Choose(0, Slots - 1)
            from lockIndex in Gen.Choose(0, Locks + Semaphores - 1)
            from mode in Gen.Elements(LockMode.Exclusive, LockMode.Shared)
            from wait in Gen.Elements(0, 500, 3_000, 20_000, 20_000)
            from delay in Gen.Elements(0, 0, 0, 1_500)
            select (Step)new AcquireStep(slot, lockIndex, mode, wait, delay)),
        (5, from slot in Gen.Choose(0, Slots - 1)
            from lockIndex in Gen.Choose(0, Locks + Semaphores - 1)
            from choice in Gen.Elements(0, 0, 0, 1, 2)
            select (Step)new ReleaseStep(slot, lockIndex, choice)),
        (1, from slot in Gen.Choose(0, Slots - 1)
            from lockIndex in Gen.Choose(0, Locks + Semaphores - 1)
            select (Step)new CancelStep(slot, lockIndex)),
        (5, from advance in Gen.Elements(0, 100, 400, 900, 2_500)
            from mask in Gen.Choose(0, (1 << Slots) - 1)
            select (Step)new TickStep(advance, mask)),
        (2, Gen.Choose(0, 6).Select(back => (Step)new DuplicateStep(back))),
        (1, Gen.Constant((Step)new NewTermStep())));

    public static Arbitrary<Step[]> Steps { get; } = Gen.Sized(size => Gen.ArrayOf(StepGen, Math.Max(10, size * 2))).ToArbitrary();
}
