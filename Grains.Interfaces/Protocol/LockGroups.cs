using System.IO.Hashing;
using System.Text;

namespace LockService.Protocol;

/// <summary>Maps lock names to groups and replicas to grain keys; clients and silos must agree byte for byte.</summary>
public static class LockGroups
{
    /// <summary>The group of a lock name: a stable hash (XxHash3 of its UTF-8 bytes), never .NET's randomized string hash.</summary>
    public static int GroupOf(string name, int groupCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupCount, 1);
        var hash = XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(name));
        return (int)(hash % (ulong)groupCount);
    }

    public static string ReplicaKey(int group, int replica) => $"{group}/{replica}";

    public static (int Group, int Replica) ParseReplicaKey(string key)
    {
        var slash = key.IndexOf('/');
        if (slash <= 0 || !int.TryParse(key.AsSpan(0, slash), out var group) || !int.TryParse(key.AsSpan(slash + 1), out var replica))
        {
            throw new FormatException($"'{key}' is not a replica key; expected \"{{group}}/{{replica}}\".");
        }

        return (group, replica);
    }
}
