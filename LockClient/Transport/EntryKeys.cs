namespace LockService.Client.Transport;

/// <summary>
/// The entry keys one client uses, in turn from a random start. Orleans gives each new grain the next gateway in its
/// round robin, so a few keys spread over the gateways; a fixed set keeps the entry activations few.
/// </summary>
internal sealed class EntryKeys
{
    /// <summary>More than the silos of a usual cluster, so that every gateway gets some of them.</summary>
    public const int Count = 16;

    private int _next = Random.Shared.Next(Count);

    public long Next() => (uint)Interlocked.Increment(ref _next) % Count;
}
