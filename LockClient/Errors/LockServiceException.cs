namespace LockService.Client;

/// <summary>The base of every error the LockService SDK reports; catch it to handle all of them.</summary>
public class LockServiceException : Exception
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockServiceException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockServiceException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
