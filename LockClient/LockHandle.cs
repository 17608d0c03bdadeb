using LockService.Client.Sessions;

namespace LockService.Client;

/// <summary>
/// A held lock. Dispose it (or call <see cref="ReleaseAsync"/>) to release it. While it is held, pass
/// <see cref="Token"/> to every resource you change under the lock (see <see cref="FencingGuard"/>), and
/// stop when <see cref="LostToken"/> fires.
/// </summary>
public sealed class LockHandle : IAsyncDisposable
{
    private const int Held = 0;
    private const int Released = 1;
    private const int Lost = 2;

    private readonly LockServiceClient _client;
    private readonly CancellationTokenSource _lost = new();
    private int _state;
    private int _releasesSent;

    internal LockHandle(LockServiceClient client, GroupSession session, string name, LockMode mode, FencingToken token)
    {
        _client = client;
        Session = session;
        Name = name;
        Mode = mode;
        Token = token;
        Weak = new WeakReference<LockHandle>(this);
        if (!client.ReleasesAbandonedHandles)
        {
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>
    /// An abandoned handle (dropped without being disposed) releases its lock when it is finalized, as Medallion's
    /// handles do: LostToken fires first (code that kept only the token stops before anyone else can get the lock),
    /// then the normal release with its own request id (exactly once, retried in the background). The SDK holds
    /// handles only weakly (<see cref="Weak"/>), so this is reachable. The work is queued, not run here: LostToken
    /// callbacks are user code and must not run on the finalizer thread. Queuing <c>this</c> resurrects the handle
    /// until the release is done; its fields are still valid (nothing it references is finalized before it is
    /// unreachable again), and the finalizer is not registered again.
    /// </summary>
    ~LockHandle()
    {
        if (Volatile.Read(ref _state) == Held)
        {
            _client.OnAbandoned(this);
        }
    }

    /// <summary>The lock's name.</summary>
    public string Name { get; }

    /// <summary>How the lock is held.</summary>
    public LockMode Mode { get; }

    /// <summary>
    /// The fencing token of this grant: higher than the token of every earlier grant of the same lock. Resources
    /// that remember the highest token they have seen and refuse lower ones stay safe even when this holder pauses
    /// past its lease.
    /// </summary>
    public FencingToken Token { get; }

    /// <summary>
    /// Fires when the lock can no longer be guaranteed: before the service could give it to someone else (the
    /// client's lease deadline, counted from the send time of its last acknowledged keepalive and shortened by the
    /// clock-rate bound, has passed), when the service reports the session expired, or when the service says the
    /// lock was released by someone else (an operator). It does not fire for a normal release.
    /// </summary>
    public CancellationToken LostToken => _lost.Token;

    /// <summary>Whether the lock was lost (<see cref="LostToken"/> fired).</summary>
    public bool IsLost => Volatile.Read(ref _state) == Lost;

    /// <summary>Whether the lock was released through this handle.</summary>
    public bool IsReleased => Volatile.Read(ref _state) == Released;

    internal GroupSession Session { get; }

    /// <summary>The only reference the SDK keeps to the handle (one instance, so it can be a set or dictionary value).</summary>
    internal WeakReference<LockHandle> Weak { get; }

    internal LostReason? LostReason { get; private set; }

    /// <summary>
    /// Counts a release request about to be sent. Each call to <see cref="ReleaseAsync"/> sends its own request id
    /// (an id whose call has ended is never sent again), so an earlier release whose answer never came may have
    /// released the lock already.
    /// </summary>
    /// <returns>How many release requests were sent before this one.</returns>
    internal int ReleaseSending() => Interlocked.Increment(ref _releasesSent) - 1;

    /// <summary>
    /// Releases the lock. Calling it again after it succeeded does nothing. A failed release (for example the
    /// service unreachable) can be retried by calling it again.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting; the lock may or may not have been released.</param>
    /// <exception cref="LockNotHeldException">The lock had been lost before the release (its
    /// <see cref="LostToken"/> fired); <see cref="LockSessionLostException"/> when its session was lost.</exception>
    /// <exception cref="StaleFencingTokenException">The service knows a newer grant of this lock.</exception>
    /// <exception cref="LockServiceUnavailableException">No leader answered within <see cref="LockClientOptions.RequestTimeout"/>.</exception>
    public Task ReleaseAsync(CancellationToken cancellationToken = default) => _client.ReleaseAsync(this, cancellationToken);

    /// <summary>
    /// Releases the lock. Idempotent, and never throws for a lock already lost; when the service cannot be reached
    /// the release continues in the background (the lock is released at the latest when the session ends).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await ReleaseAsync().ConfigureAwait(false);
        }
        catch (LockNotHeldException)
        {
        }
        catch (StaleFencingTokenException)
        {
        }
        catch (LockServiceException e)
        {
            _client.ReleaseInBackground(this, e);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Mode}, token {Token}{(IsLost ? ", lost" : IsReleased ? ", released" : "")})";

    internal bool MarkReleased()
    {
        if (Interlocked.CompareExchange(ref _state, Released, Held) != Held)
        {
            return false;
        }

        GC.SuppressFinalize(this);
        return true;
    }

    /// <summary>Abandoned: fires <see cref="LostToken"/> before the release is sent (the state stays held, so the
    /// normal release path applies). Callback failures are the caller's to log.</summary>
    internal void FireLostForAbandonment()
    {
        LostReason ??= Client.LostReason.Abandoned;
        _lost.Cancel();
    }

    /// <summary>Fires <see cref="LostToken"/> once, unless the handle was released first.</summary>
    internal void OnLost(LostReason reason)
    {
        if (Interlocked.CompareExchange(ref _state, Lost, Held) != Held)
        {
            return;
        }

        LostReason = reason;
        GC.SuppressFinalize(this);
        _client.OnHandleLost(this, reason);
        _lost.Cancel();
    }
}
