using LockService.Raft;

namespace LockService.Simulation;

/// <summary>What a simulated replica has on disk; the only thing that survives a crash.</summary>
public sealed class DurableStore
{
    private readonly List<LogEntry> entries = [];

    public HardState HardState { get; private set; }

    /// <summary>Bumped by every write: the ETag of the real store, which fences a stale activation.</summary>
    public long Version { get; private set; }

    public Snapshot? Snapshot { get; private set; }

    public long SnapshotIndex => Snapshot?.Metadata.LastIncludedIndex ?? 0;

    public long LastIndex => SnapshotIndex + entries.Count;

    public bool TryGetTerm(long index, out long term)
    {
        if (index == SnapshotIndex)
        {
            term = Snapshot?.Metadata.LastIncludedTerm ?? 0;
            return true;
        }

        if (index < SnapshotIndex || index > LastIndex)
        {
            term = 0;
            return false;
        }

        term = entries[(int)(index - SnapshotIndex - 1)].Term;
        return true;
    }

    /// <summary>Writes a Ready the way the host contract says: snapshot, then entries (replacing any suffix), then hard state.</summary>
    public void Persist(Ready ready) => Write(ready.HardState, ready.Snapshot, ready.EntriesToPersist.Span);

    /// <summary>One write: snapshot (an install: every entry goes), then entries (replacing any suffix), then hard state.</summary>
    public void Write(HardState? hardState, Snapshot? installed, ReadOnlySpan<LogEntry> span)
    {
        Version++;
        if (installed is { } snapshot)
        {
            Snapshot = snapshot;
            entries.Clear();
        }

        if (!span.IsEmpty)
        {
            var first = span[0].Index;
            if (first <= SnapshotIndex || first > LastIndex + 1)
            {
                throw new InvalidOperationException($"Entries to persist start at {first}, outside {SnapshotIndex + 1}..{LastIndex + 1}.");
            }

            var keep = (int)(first - SnapshotIndex - 1);
            entries.RemoveRange(keep, entries.Count - keep);
            foreach (var entry in span)
            {
                entries.Add(entry);
            }
        }

        if (hardState is { } written)
        {
            HardState = written;
        }
    }

    /// <summary>The host persisted a snapshot of its own applied state and drops the entries it covers.</summary>
    public void Compact(Snapshot snapshot)
    {
        Version++;
        var drop = (int)Math.Min(entries.Count, snapshot.Metadata.LastIncludedIndex - SnapshotIndex);
        entries.RemoveRange(0, drop);
        Snapshot = snapshot;
    }

    /// <summary>A conditional write that changes nothing but the version (a new activation's first write).</summary>
    public void Touch() => Version++;

    public PersistedState ToPersistedState() => new(HardState, Snapshot, entries.ToArray());
}
