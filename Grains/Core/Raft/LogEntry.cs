namespace LockService.Raft;

/// <summary>
/// One log entry. A struct so that logs, messages and ready batches are arrays of entries rather than arrays of
/// references. <see cref="Data"/> is held by reference: whoever hands bytes to Raft must not change them afterwards.
/// </summary>
public readonly record struct LogEntry(long Index, long Term, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Rough size used for the byte limits of messages and of the uncommitted tail.</summary>
    internal long SizeBytes => Data.Length + 16;

    public override string ToString() => $"{Index}@{Term}{(Type == EntryType.NoOp ? " noop" : $" {Data.Length}B")}";
}
