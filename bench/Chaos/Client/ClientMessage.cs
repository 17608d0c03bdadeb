using System.Text.Json;
using System.Text.Json.Serialization;

namespace LockService.Chaos.Client;

/// <summary>
/// One line a client process writes to its stdout for the harness: <c>acquired</c>, <c>acquire-failed</c>,
/// <c>hold-end</c> (release started or lock lost), <c>released</c>, <c>release-failed</c>, or <c>register</c> (a
/// fenced read or write, answered on the client's stdin with "ID ok VALUE" or "ID stale"). Timestamps are
/// <see cref="System.Diagnostics.Stopwatch"/> ticks.
/// </summary>
internal sealed record ClientMessage
{
    public const string Acquired = "acquired";
    public const string AcquireFailed = "acquire-failed";
    public const string HoldEnd = "hold-end";
    public const string Released = "released";
    public const string ReleaseFailed = "release-failed";
    public const string Register = "register";

    public static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public required string Kind { get; init; }

    public string? Lock { get; init; }

    public string? Token { get; init; }

    public long? InvokedTs { get; init; }

    public long? At { get; init; }

    /// <summary>hold-end: "release" or "lost"; *-failed: the exception type.</summary>
    public string? Detail { get; init; }

    /// <summary>register: the request id, "read" or "write", and for a write the value read and the value to write.</summary>
    public long? Id { get; init; }

    public string? Op { get; init; }

    public long? Expected { get; init; }

    public long? Value { get; init; }
}
