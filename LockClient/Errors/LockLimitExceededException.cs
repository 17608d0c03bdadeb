namespace LockService.Client;

/// <summary>A service limit was reached (for example too many waiters on one lock or too many locks per session). Release locks or wait before retrying.</summary>
public class LockLimitExceededException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockLimitExceededException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockLimitExceededException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
