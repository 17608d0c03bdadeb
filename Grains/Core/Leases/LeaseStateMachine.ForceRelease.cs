namespace LockService.Leases;

/// <summary>An operator's forced release of a lock (<see cref="ForceRelease"/>).</summary>
public sealed partial class LeaseStateMachine
{
    private LeaseResult ApplyForceRelease(ForceRelease command)
    {
        if (LockNameRules.Check(command.Lock, _limits.MaxLockNameBytes) is { } problem)
        {
            return new Rejected(RejectionCode.InvalidName, problem);
        }

        var released = 0;
        if (_locks.TryGetValue(command.Lock, out var lockState))
        {
            var entry = lockState.FirstHolder;
            while (entry is not null)
            {
                var next = entry.Next;
                if (entry.Token <= command.UpTo)
                {
                    lockState.RemoveHolder(entry);
                    entry.Session.RemoveEntry(entry);
                    entry.Session.HeldCount--;
                    entry.State = EntryState.Gone;
                    released++;
                }

                entry = next;
            }
        }

        if (released == 0)
        {
            return new Rejected(RejectionCode.NotHolder, $"Nobody holds '{command.Lock}' with a token up to {command.UpTo}: nothing to release.");
        }

        Touch(lockState!);
        PromoteTouched();
        return Done.Instance;
    }
}
