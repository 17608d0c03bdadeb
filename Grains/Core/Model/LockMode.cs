namespace LockService.Client;

/// <summary>How a lock is held: alone, or together with other shared holders.</summary>
public enum LockMode : byte
{
    /// <summary>The only holder; waits until every other holder has left.</summary>
    Exclusive = 0,

    /// <summary>Coexists with other shared holders; excludes exclusive holders.</summary>
    Shared = 1,
}
