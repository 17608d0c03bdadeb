namespace LockService.Client;

/// <summary>A fencing token lower than the highest one seen was presented: a newer holder exists. Stop the operation; the lock has moved on.</summary>
public class StaleFencingTokenException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public StaleFencingTokenException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public StaleFencingTokenException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
