using System.Runtime.InteropServices;
using System.Security.Cryptography;
using LockService.Leases;

namespace LockService.Client;

/// <summary>
/// The Medallion adapter's name mapping (each Medallion provider has one, its "GetSafeName"): any string becomes a
/// name the service accepts. Stable across versions and processes, case-sensitive, and injective up to SHA-256
/// collisions. A name that already fits passes through unchanged, so it stays readable on the lease pages.
/// </summary>
/// <remarks>
/// A name fits when it is 1..<see cref="MaxNameBytes"/> UTF-8 bytes without control characters or lone surrogates
/// (the service's default rules) and does not start with <see cref="HashedPrefix"/>. Any other name (empty, too
/// long, with a control character, or starting with the prefix) maps to
/// <c>HashedPrefix + readable + "/" + sha256</c>: <c>readable</c> is its first <see cref="ReadableChars"/> UTF-16
/// characters with control characters and surrogates replaced by '_', <c>sha256</c> the lowercase hex SHA-256 of the
/// name's UTF-16LE code units. Names that start with the prefix are hashed too, so a mapped name never equals a
/// name that passed through.
/// </remarks>
public static class LockServiceSafeNames
{
    /// <summary>Marks a hashed name. Reserved: names that start with it are hashed as well.</summary>
    public const string HashedPrefix = "~h/";

    /// <summary>The longest name, in UTF-8 bytes, that passes through unchanged (the service's default limit).</summary>
    public const int MaxNameBytes = 512;

    /// <summary>How many characters of a hashed name are kept in front of its hash, for people reading the pages.</summary>
    public const int ReadableChars = 64;

    /// <summary>The name the service uses for the Medallion name <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static string GetSafeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith(HashedPrefix, StringComparison.Ordinal) && LockNameRules.Check(name, MaxNameBytes) is null)
        {
            return name;
        }

        var readable = name.Length > ReadableChars ? name[..ReadableChars] : name;
        var hash = SHA256.HashData(MemoryMarshal.AsBytes(name.AsSpan()));
        return string.Create(
            HashedPrefix.Length + readable.Length + 1 + 2 * hash.Length,
            (readable, hash),
            static (chars, state) =>
            {
                HashedPrefix.AsSpan().CopyTo(chars);
                var at = HashedPrefix.Length;
                foreach (var c in state.readable)
                {
                    chars[at++] = char.IsControl(c) || char.IsSurrogate(c) ? '_' : c;
                }

                chars[at++] = '/';
                Convert.TryToHexStringLower(state.hash, chars[at..], out _);
            });
    }
}
