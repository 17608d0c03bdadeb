namespace LockService.Client;

/// <summary>The session that held the lock expired or became unknown to the service, so every lock of that session was lost.</summary>
public class LockSessionLostException : LockNotHeldException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockSessionLostException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockSessionLostException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
