namespace LockService.Client;

/// <summary>The lock name was refused (empty, too long or otherwise invalid). Fix the name; retrying will not help.</summary>
public class InvalidLockNameException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public InvalidLockNameException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public InvalidLockNameException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
