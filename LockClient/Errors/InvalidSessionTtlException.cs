namespace LockService.Client;

/// <summary>The service refused the session TTL. Change LockClientOptions.SessionTtl to a value the service accepts.</summary>
public class InvalidSessionTtlException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public InvalidSessionTtlException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public InvalidSessionTtlException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
