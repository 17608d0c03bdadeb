namespace LockService.Leases;

/// <summary>Which configured limit a <see cref="RejectionCode.LimitExceeded"/> refers to.</summary>
public enum LeaseLimit : byte
{
    None = 0,
    HoldersPerLock = 1,
    WaitersPerLock = 2,
    LocksPerSession = 3,
    SessionsPerClient = 4,
    PendingRequestsPerClient = 5,
    SessionsPerGroup = 6,
}
