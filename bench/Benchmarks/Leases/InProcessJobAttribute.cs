using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace LockService.Benchmarks.Leases;

/// <summary>
/// A short job that runs in the benchmark process itself: BenchmarkDotNet's out-of-process toolchain looks for a
/// project named like the assembly (LockService.Benchmarks), which this one (Benchmarks.csproj) is not. Each
/// invocation does a lot of work (a million commands, a million-lock snapshot), so one per iteration suffices.
/// </summary>
[AttributeUsage(AttributeTargets.Class)]
internal sealed class InProcessJobAttribute(int warmupCount, int iterationCount) : Attribute, IConfigSource
{
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddJob(
        Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(warmupCount)
            .WithIterationCount(iterationCount)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithToolchain(InProcessEmitToolchain.Instance));
}
