namespace LockService.Client;

/// <summary>The leader refused new work until its backlog drains, for longer than the timeout. Retry later with backoff or spread locks over more groups.</summary>
public class LockServiceOverloadedException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockServiceOverloadedException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockServiceOverloadedException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
