namespace LockService.Leases;

/// <summary>
/// A live session: its renewal point on the lease clock and the locks it holds or waits for (linked through
/// <see cref="LockEntry.SessionNext"/>).
/// </summary>
internal sealed class SessionState(SessionId id, ClientRecord client, long ttlMs, long lastRenewalMs)
    : CreationOrdered<SessionState>
{
    public SessionId Id { get; } = id;

    public ClientRecord Client { get; } = client;

    public long TtlMs { get; } = ttlMs;

    public long LastRenewalMs { get; set; } = lastRenewalMs;

    public long DeadlineMs => LastRenewalMs + TtlMs;

    /// <summary>False once expired or closed; a waiter of a dead session is never granted.</summary>
    public bool Alive { get; set; } = true;

    /// <summary>Position in the snapshot being written or read (scratch, not state).</summary>
    public int Ordinal { get; set; }

    public LockEntry? FirstEntry;
    public LockEntry? LastEntry;

    public int EntryCount { get; private set; }

    public int HeldCount { get; set; }

    public void AddEntry(LockEntry entry)
    {
        entry.SessionPrev = LastEntry;
        entry.SessionNext = null;
        if (LastEntry is null)
        {
            FirstEntry = entry;
        }
        else
        {
            LastEntry.SessionNext = entry;
        }

        LastEntry = entry;
        EntryCount++;
    }

    public void RemoveEntry(LockEntry entry)
    {
        if (entry.SessionPrev is null)
        {
            FirstEntry = entry.SessionNext;
        }
        else
        {
            entry.SessionPrev.SessionNext = entry.SessionNext;
        }

        if (entry.SessionNext is null)
        {
            LastEntry = entry.SessionPrev;
        }
        else
        {
            entry.SessionNext.SessionPrev = entry.SessionPrev;
        }

        entry.SessionPrev = null;
        entry.SessionNext = null;
        EntryCount--;
    }
}
