using System.Globalization;

namespace LockService.Leases;

/// <summary>
/// A session's identity: 128 random bits chosen by the proposer and recorded in the OpenSession command, so that a
/// session cannot be guessed and every replica learns the same id from the log.
/// </summary>
public readonly record struct SessionId(UInt128 Value)
{
    public override string ToString() => Value.ToString("x32", CultureInfo.InvariantCulture);

    public static SessionId Parse(string text) =>
        new(UInt128.Parse(text, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
}
