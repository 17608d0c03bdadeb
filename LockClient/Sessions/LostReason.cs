namespace LockService.Client;

/// <summary>Why a lock handle's <see cref="LockHandle.LostToken"/> fired.</summary>
internal enum LostReason
{
    /// <summary>The client's own lease deadline passed without an acknowledged keepalive.</summary>
    LeaseDeadlinePassed,

    /// <summary>The service reported the session expired or unknown.</summary>
    SessionExpired,

    /// <summary>The service reported that this handle no longer holds the lock (for example an operator released it).</summary>
    Revoked,

    /// <summary>The client was disposed; its sessions were closed.</summary>
    ClientDisposed,

    /// <summary>The handle was dropped without being disposed, and finalized; its lock is released.</summary>
    Abandoned,

    /// <summary>
    /// The service refused the client's identity in the group for too many unacknowledged answers; the client took a
    /// fresh identity, and the old identity's sessions cannot be used any more (they expire on the service).
    /// </summary>
    IdentityReset,
}

internal static class LostReasonExtensions
{
    public static string ToTag(this LostReason reason) => reason switch
    {
        LostReason.LeaseDeadlinePassed => "lease_deadline",
        LostReason.SessionExpired => "session_expired",
        LostReason.Revoked => "revoked",
        LostReason.Abandoned => "abandoned",
        LostReason.IdentityReset => "identity_reset",
        _ => "client_disposed",
    };
}
