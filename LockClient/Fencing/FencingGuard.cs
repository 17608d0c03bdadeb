namespace LockService.Client;

/// <summary>
/// Protects one resource against holders of a lock that paused past their lease: it accepts an operation only with
/// a fencing token not lower than the highest token it has accepted, and remembers the highest. Thread-safe. Use one
/// guard per (resource, lock) pair, and keep it where the resource is (for a resource shared by several processes,
/// use the resource's own conditional write instead; see docs/FENCING.md).
/// </summary>
/// <example>
/// <code>
/// // inside the service that owns the resource, for a request carrying the caller's token:
/// await guard.ExecuteAsync(FencingToken.Parse(request.Headers["Lock-Token"]), ct => store.WriteAsync(item, ct));
/// </code>
/// </example>
public sealed class FencingGuard
{
    private readonly object _gate = new();
    private readonly SemaphoreSlim _serial = new(1, 1);
    private FencingToken _highest;

    /// <summary>Creates a guard that has seen no token (or <paramref name="highest"/>, restored from storage).</summary>
    /// <param name="highest">The highest token accepted so far, e.g. persisted with the resource.</param>
    public FencingGuard(FencingToken highest = default)
    {
        _highest = highest;
    }

    /// <summary>The highest token accepted so far.</summary>
    public FencingToken Highest
    {
        get
        {
            lock (_gate)
            {
                return _highest;
            }
        }
    }

    /// <summary>Accepts <paramref name="token"/> if it is not lower than <see cref="Highest"/>, and raises <see cref="Highest"/> to it.</summary>
    /// <param name="token">The token presented by the lock holder.</param>
    /// <returns><c>false</c> for a stale token: a newer holder exists, and the operation must not run.</returns>
    public bool TryAccept(FencingToken token)
    {
        lock (_gate)
        {
            if (token < _highest)
            {
                return false;
            }

            _highest = token;
            return true;
        }
    }

    /// <summary>Like <see cref="TryAccept"/>, but throws for a stale token.</summary>
    /// <param name="token">The token presented by the lock holder.</param>
    /// <exception cref="StaleFencingTokenException">The token is lower than <see cref="Highest"/>.</exception>
    public void Accept(FencingToken token)
    {
        if (!TryAccept(token))
        {
            throw Stale(token);
        }
    }

    /// <summary>
    /// Runs <paramref name="operation"/> if <paramref name="token"/> is accepted, one operation at a time, so that no
    /// operation with a lower token can start while one with a higher token runs or after it.
    /// </summary>
    /// <param name="token">The token presented by the lock holder.</param>
    /// <param name="operation">The change to the resource.</param>
    /// <param name="cancellationToken">Cancels waiting for the guard and is passed to the operation.</param>
    /// <returns>The operation's result.</returns>
    /// <exception cref="StaleFencingTokenException">The token is lower than <see cref="Highest"/>; the operation did not run.</exception>
    public async Task<T> ExecuteAsync<T>(FencingToken token, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        await _serial.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Accept(token);
            return await operation(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _serial.Release();
        }
    }

    /// <summary>Runs <paramref name="operation"/> if <paramref name="token"/> is accepted, one operation at a time.</summary>
    /// <param name="token">The token presented by the lock holder.</param>
    /// <param name="operation">The change to the resource.</param>
    /// <param name="cancellationToken">Cancels waiting for the guard and is passed to the operation.</param>
    /// <exception cref="StaleFencingTokenException">The token is lower than <see cref="Highest"/>; the operation did not run.</exception>
    public Task ExecuteAsync(FencingToken token, Func<CancellationToken, Task> operation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(operation);
        return ExecuteAsync(
            token,
            async ct =>
            {
                await operation(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    private StaleFencingTokenException Stale(FencingToken token) => new(
        $"Fencing token {token} is lower than {Highest}, the highest this resource has accepted: a newer lock holder exists. Stop; do not retry with the same token.");
}
