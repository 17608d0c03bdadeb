namespace LockService;

/// <summary>Facts about the service that clients and silos share.</summary>
public static class LockServiceInfo
{
    /// <summary>Name of the Orleans storage provider that holds LockService grain state.</summary>
    public const string StorageProviderName = "Default";
}
