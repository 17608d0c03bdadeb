namespace LockService.Protocol;

/// <summary>The cluster's fixed lock topology (group count, replicas per group). Key: <see cref="Key"/>.</summary>
[Alias("LockService.ILockDirectoryGrain")]
public interface ILockDirectoryGrain : IGrainWithStringKey
{
    const string Key = "directory";

    [Alias("GetTopology")]
    Task<LockTopology> GetTopology();
}
