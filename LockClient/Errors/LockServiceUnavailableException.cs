namespace LockService.Client;

/// <summary>No leader of the lock's group answered within the timeout (an election, a majority of silos down, or the client cut off from the cluster). Retrying later may succeed; nothing was acquired.</summary>
public class LockServiceUnavailableException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockServiceUnavailableException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockServiceUnavailableException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
