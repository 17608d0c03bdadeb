namespace LockService.Client;

/// <summary>
/// The name is in use as another kind of primitive: acquired as a lock while it is a semaphore, as a semaphore while
/// it is a lock, or as a semaphore with another permit count. Use one name for one kind (and one permit count).
/// </summary>
public class LockKindMismatchException : LockServiceException
{
    /// <summary>Creates the exception with a message that says what to do.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    public LockKindMismatchException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the failure that caused it.</summary>
    /// <param name="message">What happened and what to do about it.</param>
    /// <param name="innerException">The failure that caused this one.</param>
    public LockKindMismatchException(string message, Exception? innerException) : base(message, innerException)
    {
    }
}
