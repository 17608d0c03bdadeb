namespace LockService.Leases;

/// <summary>
/// A 64-bit hash (FNV-1a) of what a client command asks for, stored with its remembered answer, so a request id
/// reused for a different command is refused instead of being answered with the first command's answer. It leaves
/// out what a proposer fills in afresh on every retry of the same request (the drawn session id and clock of an
/// OpenSession, an Acquire's wait deadline, AnsweredBelow), so honest retries match. Never 0: 0 marks an answer
/// restored from an older snapshot, which is not compared.
/// </summary>
internal static class CommandFingerprint
{
    private const ulong Offset = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    public static ulong Of(ClientCommand command)
    {
        var hash = Offset;
        switch (command)
        {
            case OpenSession open:
                Add(ref hash, 1);
                Add(ref hash, (ulong)open.TtlMs);
                break;
            case CloseSession close:
                Add(ref hash, 2);
                Add(ref hash, close.Session.Value);
                break;
            case Acquire acquire:
                Add(ref hash, 3);
                Add(ref hash, acquire.Session.Value);
                Add(ref hash, acquire.Lock);
                Add(ref hash, (ulong)acquire.Mode);
                Add(ref hash, acquire.WaitUntilMs == Acquire.NoWait ? 0UL : 1UL);
                Add(ref hash, (ulong)acquire.LockDelayMs);
                Add(ref hash, (ulong)(uint)acquire.MaxCount);
                break;
            case Release release:
                Add(ref hash, 4);
                Add(ref hash, release.Session.Value);
                Add(ref hash, release.Lock);
                Add(ref hash, (ulong)release.Token.Term);
                Add(ref hash, (ulong)release.Token.Index);
                break;
            case CancelWait cancel:
                Add(ref hash, 5);
                Add(ref hash, cancel.Session.Value);
                Add(ref hash, cancel.Lock);
                Add(ref hash, cancel.AcquireSequence);
                break;
        }

        return hash == 0 ? 1 : hash;
    }

    private static void Add(ref ulong hash, UInt128 value)
    {
        Add(ref hash, (ulong)(value >> 64));
        Add(ref hash, (ulong)value);
    }

    private static void Add(ref ulong hash, string value)
    {
        Add(ref hash, (ulong)value.Length);
        foreach (var c in value)
        {
            Add(ref hash, c);
        }
    }

    private static void Add(ref ulong hash, ulong value)
    {
        for (var i = 0; i < 8; i++)
        {
            hash = (hash ^ (byte)(value >> (8 * i))) * Prime;
        }
    }
}
