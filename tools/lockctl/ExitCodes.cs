namespace LockService.Cli;

/// <summary>lockctl's exit codes (README of the tool and docs/OPERATIONS.md list them).</summary>
internal static class ExitCodes
{
    public const int Done = 0;

    /// <summary>An error: the cluster or silo could not be reached, bad input, the service refused for another reason.</summary>
    public const int Error = 1;

    /// <summary>The lock was lost while held (a command run under it is killed).</summary>
    public const int Lost = 3;

    /// <summary>The lock was not acquired in time.</summary>
    public const int NotAcquired = 4;

    /// <summary>The token is not a current grant, or there was nothing to act on (no such holder, no such silo).</summary>
    public const int NotCurrent = 5;

    /// <summary>An admin action was refused: no API key, a wrong one (401), or admin actions disabled on the silo (403).</summary>
    public const int Unauthorized = 6;
}
