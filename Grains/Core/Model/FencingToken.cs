using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace LockService.Client;

/// <summary>
/// The (term, log index) of the log entry that granted a lock. Tokens of one lock increase strictly, so a
/// resource that remembers the highest token it has accepted and rejects lower ones is safe against a holder
/// that paused past its lease. Lives in the package-free core so that a resource can check tokens without Orleans;
/// Grains.Interfaces gives Orleans a surrogate for it (<c>WireSurrogates.cs</c>). Text form: <c>"{term}.{index}"</c>, e.g. <c>"7.10423"</c>.
/// </summary>
public readonly record struct FencingToken(
    long Term,
    long Index) : IComparable<FencingToken>, ISpanFormattable
{
    /// <summary>No token: lower than every token a grant carries.</summary>
    public static FencingToken None => default;

    public int CompareTo(FencingToken other)
    {
        var byTerm = Term.CompareTo(other.Term);
        return byTerm != 0 ? byTerm : Index.CompareTo(other.Index);
    }

    public static bool operator <(FencingToken left, FencingToken right) => left.CompareTo(right) < 0;
    public static bool operator >(FencingToken left, FencingToken right) => left.CompareTo(right) > 0;
    public static bool operator <=(FencingToken left, FencingToken right) => left.CompareTo(right) <= 0;
    public static bool operator >=(FencingToken left, FencingToken right) => left.CompareTo(right) >= 0;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Term}.{Index}");

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider) =>
        destination.TryWrite(CultureInfo.InvariantCulture, $"{Term}.{Index}", out charsWritten);

    /// <summary>Parses the text form written by <see cref="ToString()"/>.</summary>
    /// <exception cref="FormatException">The text is not "{term}.{index}" with two non-negative integers.</exception>
    public static FencingToken Parse(string text) =>
        TryParse(text, out var token)
            ? token
            : throw new FormatException($"'{text}' is not a fencing token; expected \"{{term}}.{{index}}\", e.g. \"7.10423\".");

    public static bool TryParse([NotNullWhen(true)] string? text, out FencingToken token)
    {
        token = default;
        if (text is null)
        {
            return false;
        }

        var dot = text.IndexOf('.');
        if (dot <= 0 ||
            !long.TryParse(text.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out var term) ||
            !long.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }

        token = new FencingToken(term, index);
        return true;
    }
}
