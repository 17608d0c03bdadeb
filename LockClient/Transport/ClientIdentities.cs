using System.Security.Cryptography;

namespace LockService.Client.Transport;

/// <summary>
/// The client's identity and sequence space per lock group. An identity is a key: 128 random bits sent as the client
/// id of every request, which the service knows only by its hash, so only this client can act for its sessions.
/// Keys are secrets: never log or show them. Each group is its own state machine with its own record
/// of this client, so each group counts its own requests: a request stuck in one group never holds back what
/// another group may forget. All groups start with the same client id; a group whose service refused the client
/// for too many unacknowledged answers gets a fresh one (see <see cref="Replace"/>).
/// </summary>
internal sealed class ClientIdentities(Guid clientId, Random? random)
{
    private readonly Dictionary<int, RequestIds> _groups = [];

    /// <summary>The client id every group starts with.</summary>
    public Guid ClientId { get; } = clientId;

    /// <summary>The identity new sessions of <paramref name="group"/> use.</summary>
    public RequestIds For(int group)
    {
        lock (_groups)
        {
            if (!_groups.TryGetValue(group, out var ids))
            {
                _groups[group] = ids = new RequestIds(ClientId);
            }

            return ids;
        }
    }

    /// <summary>
    /// Retires <paramref name="worn"/> in <paramref name="group"/> for a fresh client id, unless another caller has
    /// already done so. The service keeps the worn identity's record (and its sessions) until they expire.
    /// </summary>
    /// <returns>Whether this call replaced it.</returns>
    public bool Replace(int group, RequestIds worn)
    {
        lock (_groups)
        {
            if (_groups.TryGetValue(group, out var current) && current != worn)
            {
                return false;
            }

            _groups[group] = new RequestIds(NewClientId());
            return true;
        }
    }

    /// <summary>A fresh key from the OS's cryptographic generator.</summary>
    public static Guid NewSecretKey()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return new Guid(bytes);
    }

    /// <summary>From the seeded source when one was given, so a seeded client (the simulation's) stays reproducible.</summary>
    private Guid NewClientId()
    {
        if (random is null)
        {
            return NewSecretKey();
        }

        Span<byte> bytes = stackalloc byte[16];
        lock (random)
        {
            random.NextBytes(bytes);
        }

        return new Guid(bytes);
    }
}
