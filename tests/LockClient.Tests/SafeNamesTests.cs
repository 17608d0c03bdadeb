namespace LockService.Client.Tests;

/// <summary>The Medallion adapter's name mapping (<see cref="LockServiceSafeNames.GetSafeName"/>), as docs/CLIENT.md states it.</summary>
public sealed class SafeNamesTests
{
    [Theory]
    [InlineData("orders/42")]
    [InlineData("C:\\locks\\orders")]
    [InlineData("é ü 漢字 😀")]
    [InlineData("~h")]
    [InlineData("x~h/")]
    public void A_name_the_service_accepts_passes_through_unchanged(string name) =>
        Assert.Equal(name, LockServiceSafeNames.GetSafeName(name));

    [Fact]
    public void A_name_of_exactly_512_UTF8_bytes_passes_and_one_more_byte_is_hashed()
    {
        var fits = new string('a', 510) + "é";
        Assert.Equal(fits, LockServiceSafeNames.GetSafeName(fits));
        Assert.StartsWith(LockServiceSafeNames.HashedPrefix, LockServiceSafeNames.GetSafeName(fits + "a"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_mapping_of_other_names_is_pinned()
    {
        Assert.Equal("~h//e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", LockServiceSafeNames.GetSafeName(""));
        var mapped = LockServiceSafeNames.GetSafeName("a\u0000b\uD800");
        Assert.Matches("^~h/a_b_/[0-9a-f]{64}$", mapped);
        Assert.Equal(mapped, LockServiceSafeNames.GetSafeName("a\u0000b\uD800"));
    }

    [Fact]
    public void Different_names_map_to_different_names_case_included_and_hashed_names_never_equal_passed_through_ones()
    {
        var longName = new string('q', 2_000);
        string[] names =
        [
            "", "A", "a", "tab\t", "tab_", longName, longName + "Q", longName[..1_999] + "Q", "~h/", "~h/x",
            LockServiceSafeNames.GetSafeName(""), LockServiceSafeNames.GetSafeName(longName),
        ];
        var mapped = names.Select(LockServiceSafeNames.GetSafeName).ToList();
        Assert.Equal(names.Length, mapped.Distinct(StringComparer.Ordinal).Count());
        Assert.All(mapped, m => Assert.Null(Leases.LockNameRules.Check(m, LockServiceSafeNames.MaxNameBytes)));
        Assert.All(mapped, m => Assert.True(System.Text.Encoding.UTF8.GetByteCount(m) <= 260));
    }

    [Fact]
    public void A_null_name_is_refused() => Assert.Throws<ArgumentNullException>(() => LockServiceSafeNames.GetSafeName(null!));
}
