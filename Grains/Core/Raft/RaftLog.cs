namespace LockService.Raft;

/// <summary>
/// A replica's log in memory: a snapshot base, the entries after it, and the watermarks that split it into what is
/// committed, handed to the host to persist, durable, handed to the host to apply, and applied.
/// <para>
/// Entries live in one array, and a slice of it is handed out (to messages and to <see cref="Ready"/>) without
/// copying. So that a slice never changes under its holder, positions once used are never written again: appends
/// write past the end, compaction only moves the start, and a truncation (a follower's conflicting suffix) or a
/// growth copies the kept entries into a fresh array.
/// </para>
/// </summary>
internal sealed class RaftLog
{
    private const int MinCapacity = 16;

    private LogEntry[] buffer;
    private int start;
    private int count;
    private SnapshotMetadata snapshotMeta;
    private long handedOut;
    private Snapshot? unstableSnapshot;

    /// <summary>Rebuilds the log from what the host persisted.</summary>
    public RaftLog(Snapshot? snapshot, IReadOnlyList<LogEntry> entries, long commit)
    {
        Snapshot = snapshot;
        snapshotMeta = snapshot?.Metadata ?? default;
        buffer = new LogEntry[Math.Max(MinCapacity, entries.Count * 2)];
        var previousTerm = snapshotMeta.LastIncludedTerm;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != snapshotMeta.LastIncludedIndex + 1 + i || entry.Term < previousTerm)
            {
                throw new ArgumentException(
                    $"Persisted entries must follow the snapshot ({snapshotMeta}) contiguously with non-decreasing terms; entry {i} is {entry}.",
                    nameof(entries));
            }

            buffer[i] = entry;
            previousTerm = entry.Term;
        }

        count = entries.Count;
        Committed = Math.Max(commit, snapshotMeta.LastIncludedIndex);
        if (Committed > LastIndex)
        {
            throw new ArgumentException($"Persisted commit index {commit} is beyond the persisted log ({LastIndex}).", nameof(commit));
        }

        Persisted = handedOut = LastIndex;
        Applied = AppliedHandedOut = snapshotMeta.LastIncludedIndex;
    }

    /// <summary>The latest snapshot (made by the host or received), which a leader sends to lagging followers.</summary>
    public Snapshot? Snapshot { get; private set; }

    public long SnapshotIndex => snapshotMeta.LastIncludedIndex;

    public long SnapshotTerm => snapshotMeta.LastIncludedTerm;

    public long FirstIndex => snapshotMeta.LastIncludedIndex + 1;

    public long LastIndex => snapshotMeta.LastIncludedIndex + count;

    public long LastTerm => count == 0 ? snapshotMeta.LastIncludedTerm : buffer[start + count - 1].Term;

    public long Committed { get; private set; }

    /// <summary>Highest index the host reported durable (through <see cref="RaftNode.Advance"/>).</summary>
    public long Persisted { get; private set; }

    /// <summary>Highest index handed out as committed; the host applies it before advancing.</summary>
    public long AppliedHandedOut { get; private set; }

    /// <summary>Highest index the host applied (reported through <see cref="RaftNode.Advance"/>).</summary>
    public long Applied { get; private set; }

    public bool HasEntriesToPersist => LastIndex > handedOut;

    public bool HasCommittedToApply => Committed > AppliedHandedOut;

    public bool HasUnstableSnapshot => unstableSnapshot is not null;

    /// <summary>The term at <paramref name="index"/>, if the log still knows it (the snapshot base counts).</summary>
    public bool TryGetTerm(long index, out long term)
    {
        if (index == snapshotMeta.LastIncludedIndex)
        {
            term = snapshotMeta.LastIncludedTerm;
            return true;
        }

        if (index < snapshotMeta.LastIncludedIndex || index > LastIndex)
        {
            term = 0;
            return false;
        }

        term = buffer[Position(index)].Term;
        return true;
    }

    public long Term(long index) => TryGetTerm(index, out var term)
        ? term
        : throw new InvalidOperationException($"Raft: the log ({FirstIndex}..{LastIndex}) does not hold index {index}.");

    public bool MatchTerm(long index, long term) => TryGetTerm(index, out var actual) && actual == term;

    /// <summary>Paper §5.4.1: a log is at least as up to date if its last term is higher, or equal with an index as high.</summary>
    public bool IsUpToDate(long lastIndex, long lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    public ref readonly LogEntry EntryAt(long index) => ref buffer[Position(index)];

    /// <summary>Entries [from, to] as a slice that stays valid and unchanged.</summary>
    public ReadOnlyMemory<LogEntry> Slice(long from, long to) =>
        from > to ? ReadOnlyMemory<LogEntry>.Empty : new ReadOnlyMemory<LogEntry>(buffer, Position(from), (int)(to - from + 1));

    /// <summary>Entries from <paramref name="from"/> within the per-message limits; at least one if any exist.</summary>
    public ReadOnlyMemory<LogEntry> EntriesForMessage(long from, int maxEntries, long maxBytes)
    {
        if (from > LastIndex)
        {
            return ReadOnlyMemory<LogEntry>.Empty;
        }

        var position = Position(from);
        var available = (int)Math.Min(LastIndex - from + 1, maxEntries);
        var take = 1;
        var bytes = buffer[position].SizeBytes;
        while (take < available)
        {
            bytes += buffer[position + take].SizeBytes;
            if (bytes > maxBytes)
            {
                break;
            }

            take++;
        }

        return new ReadOnlyMemory<LogEntry>(buffer, position, take);
    }

    /// <summary>The leader appends its own entries.</summary>
    public void Append(in LogEntry entry)
    {
        if (entry.Index != LastIndex + 1 || entry.Term < LastTerm)
        {
            throw new InvalidOperationException($"Raft: entry {entry} does not extend the log ending at {LastIndex}@{LastTerm}.");
        }

        EnsureRoomFor(1);
        buffer[start + count] = entry;
        count++;
    }

    public void EnsureRoomFor(int entries)
    {
        if (start + count + entries <= buffer.Length)
        {
            return;
        }

        // A fresh array (positions once handed out are never rewritten). Keep the size while the log fits in half
        // of it, so a log that is compacted regularly reallocates once per array's worth of entries, and shrink
        // slowly after a burst.
        var needed = count + entries;
        var capacity = needed * 2 > buffer.Length ? needed * 2 : needed * 8 <= buffer.Length ? buffer.Length / 2 : buffer.Length;
        var grown = new LogEntry[Math.Max(MinCapacity, capacity)];
        Array.Copy(buffer, start, grown, 0, count);
        buffer = grown;
        start = 0;
    }

    /// <summary>
    /// A follower takes a leader's entries after (prevIndex, prevTerm) if its log holds that position (paper §5.3).
    /// Entries it already has are skipped, so a late duplicate never truncates; the first entry whose term differs
    /// and everything after it are replaced.
    /// </summary>
    public bool TryAppend(long prevIndex, long prevTerm, ReadOnlySpan<LogEntry> entries, out long lastNewIndex)
    {
        lastNewIndex = prevIndex + entries.Length;
        if (!MatchTerm(prevIndex, prevTerm))
        {
            return false;
        }

        var i = 0;
        for (; i < entries.Length; i++)
        {
            var entry = entries[i];
            if (entry.Index != prevIndex + 1 + i)
            {
                throw new InvalidOperationException($"Raft: append after {prevIndex} holds entry {entry} at position {i}.");
            }

            if (entry.Index > LastIndex)
            {
                break;
            }

            if (buffer[Position(entry.Index)].Term != entry.Term)
            {
                if (entry.Index <= Committed)
                {
                    throw new InvalidOperationException($"Raft: entry {entry} conflicts with committed index {Committed}.");
                }

                TruncateFrom(entry.Index);
                break;
            }
        }

        if (i < entries.Length)
        {
            EnsureRoomFor(entries.Length - i);
            for (; i < entries.Length; i++)
            {
                var entry = entries[i];
                if (entry.Term < LastTerm || entry.Index != LastIndex + 1)
                {
                    throw new InvalidOperationException($"Raft: entry {entry} does not extend the log ending at {LastIndex}@{LastTerm}.");
                }

                buffer[start + count] = entry;
                count++;
            }
        }

        return true;
    }

    /// <summary>
    /// The last index at or before <paramref name="index"/> whose term is at most <paramref name="term"/>: no entry
    /// between it and <paramref name="index"/> can match a log whose entry at <paramref name="index"/> has that term.
    /// </summary>
    public long FindConflictByTerm(long index, long term)
    {
        index = Math.Min(index, LastIndex);
        while (index > snapshotMeta.LastIncludedIndex && buffer[Position(index)].Term > term)
        {
            index--;
        }

        return index;
    }

    public void CommitTo(long index)
    {
        if (index <= Committed)
        {
            return;
        }

        if (index > LastIndex)
        {
            throw new InvalidOperationException($"Raft: commit index {index} is beyond the last index {LastIndex}.");
        }

        Committed = index;
    }

    public ReadOnlyMemory<LogEntry> TakeEntriesToPersist()
    {
        var entries = Slice(handedOut + 1, LastIndex);
        handedOut = LastIndex;
        return entries;
    }

    public ReadOnlyMemory<LogEntry> TakeCommittedToApply()
    {
        var entries = Slice(AppliedHandedOut + 1, Committed);
        AppliedHandedOut = Committed;
        return entries;
    }

    public Snapshot? TakeUnstableSnapshot()
    {
        var snapshot = unstableSnapshot;
        unstableSnapshot = null;
        return snapshot;
    }

    /// <summary>The host made entries up to (index, term) durable; ignored if that entry was replaced meanwhile.</summary>
    public void PersistedTo(long index, long term)
    {
        if (MatchTerm(index, term) && index > Persisted)
        {
            Persisted = index;
        }
    }

    public void AppliedTo(long index) => Applied = Math.Max(Applied, index);

    /// <summary>The host holds a snapshot of its applied state at <paramref name="index"/>: drop the entries it covers.</summary>
    public void Compact(long index, ReadOnlyMemory<byte> data)
    {
        var term = Term(index);
        var dropped = (int)(index - snapshotMeta.LastIncludedIndex);
        start += dropped;
        count -= dropped;
        snapshotMeta = new SnapshotMetadata(index, term);
        Snapshot = new Snapshot(snapshotMeta, data);
    }

    /// <summary>A received snapshot replaces the whole log; the host installs it from the next <see cref="Ready"/>.</summary>
    public void Restore(Snapshot snapshot)
    {
        snapshotMeta = snapshot.Metadata;
        Snapshot = snapshot;
        unstableSnapshot = snapshot;
        buffer = new LogEntry[MinCapacity];
        start = 0;
        count = 0;
        Committed = snapshotMeta.LastIncludedIndex;
        Persisted = handedOut = snapshotMeta.LastIncludedIndex;
        AppliedHandedOut = snapshotMeta.LastIncludedIndex;
    }

    /// <summary>The host made a received snapshot durable and installed it.</summary>
    public void SnapshotPersisted(Snapshot snapshot) => AppliedTo(snapshot.Metadata.LastIncludedIndex);

    private void TruncateFrom(long index)
    {
        var keep = (int)(index - FirstIndex);
        var fresh = new LogEntry[Math.Max(MinCapacity, keep * 2)];
        Array.Copy(buffer, start, fresh, 0, keep);
        buffer = fresh;
        start = 0;
        count = keep;
        handedOut = Math.Min(handedOut, index - 1);
        Persisted = Math.Min(Persisted, index - 1);
    }

    private int Position(long index) => start + (int)(index - snapshotMeta.LastIncludedIndex - 1);

    public override string ToString() =>
        $"log {FirstIndex}..{LastIndex} snap={snapshotMeta} commit={Committed} persisted={Persisted} applied={Applied}";
}
