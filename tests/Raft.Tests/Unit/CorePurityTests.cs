using System.Reflection;
using LockService.Leases;

namespace LockService.Raft.Tests.Unit;

/// <summary>
/// The replica's decisions must be deterministic to be simulated: the core assembly may use the BCL only, so no
/// Orleans, storage, logging or clock package can slip into it.
/// </summary>
public sealed class CorePurityTests
{
    private static readonly Assembly Core = typeof(RaftNode).Assembly;

    [Fact]
    public void Raft_and_leases_live_in_the_core_assembly()
    {
        Assert.Equal("LockService.Core", Core.GetName().Name);
        Assert.Same(Core, typeof(LeaseStateMachine).Assembly);
        Assert.Same(Core, typeof(LockService.Client.FencingToken).Assembly);
    }

    [Fact]
    public void Core_references_only_the_base_class_library()
    {
        var foreign = Core.GetReferencedAssemblies()
            .Where(reference => !IsBaseClassLibrary(reference))
            .Select(reference => reference.Name)
            .ToList();

        Assert.True(foreign.Count == 0, $"LockService.Core references non-BCL assemblies: {string.Join(", ", foreign)}");
    }

    [Fact]
    public void Core_reads_no_clock_and_does_no_io()
    {
        // The BCL itself has clocks and I/O; the core's only time is the ticks and values its host passes in.
        var banned = new[] { typeof(DateTime), typeof(DateTimeOffset), typeof(System.Diagnostics.Stopwatch), typeof(TimeProvider), typeof(Task), typeof(File) };
        var offenders = Core.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly)
                .Select(method => (type, method)))
            .Where(pair => pair.method.GetParameters().Any(p => banned.Contains(p.ParameterType)) || banned.Contains(pair.method.ReturnType))
            .Select(pair => $"{pair.type.Name}.{pair.method.Name}")
            .ToList();

        Assert.True(offenders.Count == 0, $"Core members take or return clock, task or I/O types: {string.Join(", ", offenders)}");
    }

    // A BCL assembly ships with the runtime itself; a package (even a System.* one) loads from elsewhere.
    private static bool IsBaseClassLibrary(AssemblyName reference)
    {
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var location = Assembly.Load(reference).Location;
        return Path.GetDirectoryName(location) == runtimeDirectory;
    }
}
