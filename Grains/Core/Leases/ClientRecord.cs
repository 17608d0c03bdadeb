namespace LockService.Leases;

/// <summary>
/// What the state machine remembers of a client for exactly-once: the answers it has not yet acknowledged. It
/// lives while the client has a session, and holds at most <see cref="LeaseLimits.MaxPendingRequestsPerClient"/>
/// answers, so its size is bounded.
/// </summary>
internal sealed class ClientRecord(ClientId id) : CreationOrdered<ClientRecord>
{
    public ClientId Id { get; } = id;

    public int SessionCount { get; set; }

    /// <summary>Position in the snapshot being written or read (scratch, not state).</summary>
    public int Ordinal { get; set; }

    /// <summary>The client has received every answer below this sequence number.</summary>
    public ulong AnsweredBelow { get; set; }

    public Dictionary<ulong, LeaseResult> Answers { get; } = [];

    /// <summary>The <see cref="CommandFingerprint"/> of each remembered answer's command (absent or 0: not known).</summary>
    public Dictionary<ulong, ulong> Fingerprints { get; } = [];

    /// <summary>Remembers the answer to request <paramref name="sequence"/> and what it asked for.</summary>
    public void Remember(ulong sequence, LeaseResult answer, ulong fingerprint)
    {
        Answers[sequence] = answer;
        Fingerprints[sequence] = fingerprint;
    }

    /// <summary>False when request <paramref name="sequence"/> was remembered with a different command.</summary>
    public bool SameCommand(ulong sequence, ulong fingerprint) =>
        !Fingerprints.TryGetValue(sequence, out var known) || known == 0 || known == fingerprint;

    /// <summary>Drops the answers the client says it has received.</summary>
    public void Forget(ulong answeredBelow)
    {
        if (answeredBelow <= AnsweredBelow)
        {
            return;
        }

        if (Answers.Count > 0)
        {
            if (answeredBelow - AnsweredBelow <= (ulong)Answers.Count)
            {
                for (var sequence = AnsweredBelow; sequence < answeredBelow; sequence++)
                {
                    Answers.Remove(sequence);
                    Fingerprints.Remove(sequence);
                }
            }
            else
            {
                foreach (var sequence in Answers.Keys.Where(s => s < answeredBelow).ToList())
                {
                    Answers.Remove(sequence);
                    Fingerprints.Remove(sequence);
                }
            }
        }

        AnsweredBelow = answeredBelow;
    }

    /// <summary>Replaces a remembered answer, e.g. Queued becomes Granted when the waiter is promoted.</summary>
    public void UpdateAnswer(ulong sequence, LeaseResult answer)
    {
        if (Answers.ContainsKey(sequence))
        {
            Answers[sequence] = answer;
        }
    }
}
