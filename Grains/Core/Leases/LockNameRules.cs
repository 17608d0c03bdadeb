namespace LockService.Leases;

/// <summary>
/// What a lock name may be: 1..limit UTF-8 bytes, no control characters (C0, DEL, C1), no lone surrogates (they
/// have no UTF-8 form, so two replicas could not agree on the bytes).
/// </summary>
public static class LockNameRules
{
    /// <summary>Null when <paramref name="name"/> is valid, else what is wrong with it.</summary>
    public static string? Check(string? name, int maxBytes)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "A lock name must not be empty.";
        }

        var bytes = 0;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c < 0x80)
            {
                if (c < 0x20 || c == 0x7F)
                {
                    return $"A lock name must not contain control characters (U+{(int)c:X4} at position {i}).";
                }

                bytes += 1;
            }
            else if (c < 0x800)
            {
                if (c <= 0x9F)
                {
                    return $"A lock name must not contain control characters (U+{(int)c:X4} at position {i}).";
                }

                bytes += 2;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                bytes += 4;
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return $"A lock name must be valid Unicode (lone surrogate at position {i}).";
            }
            else
            {
                bytes += 3;
            }

            if (bytes > maxBytes)
            {
                return $"A lock name must be at most {maxBytes} UTF-8 bytes.";
            }
        }

        return null;
    }
}
