namespace LockService.Client;

/// <summary>The lock was no longer held by this handle when an operation needed it (released already, its session expired, or an operator released it). Work done after the handle's LostToken fired may overlap another holder.</summary>
public class LockNotHeldException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockNotHeldException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockNotHeldException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
