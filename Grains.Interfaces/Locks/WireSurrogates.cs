using LockService.Client;

namespace LockService.Protocol;

// FencingToken and LockMode live in the package-free core (Grains/Core/Model), which cannot carry Orleans'
// serialization attributes; these surrogates give them stable wire forms with the aliases they had before.

[GenerateSerializer, Immutable, Alias("LockService.FencingToken")]
public struct FencingTokenSurrogate
{
    [Id(0)] public long Term;
    [Id(1)] public long Index;
}

[RegisterConverter]
public sealed class FencingTokenSurrogateConverter : IConverter<FencingToken, FencingTokenSurrogate>
{
    public FencingToken ConvertFromSurrogate(in FencingTokenSurrogate surrogate) => new(surrogate.Term, surrogate.Index);

    public FencingTokenSurrogate ConvertToSurrogate(in FencingToken value) => new() { Term = value.Term, Index = value.Index };
}

[GenerateSerializer, Immutable, Alias("LockService.LockMode")]
public struct LockModeSurrogate
{
    [Id(0)] public byte Value;
}

[RegisterConverter]
public sealed class LockModeSurrogateConverter : IConverter<LockMode, LockModeSurrogate>
{
    public LockMode ConvertFromSurrogate(in LockModeSurrogate surrogate) => (LockMode)surrogate.Value;

    public LockModeSurrogate ConvertToSurrogate(in LockMode value) => new() { Value = (byte)value };
}
