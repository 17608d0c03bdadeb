using BenchmarkDotNet.Running;
using LockService.Benchmarks.Leases;

// dotnet run -c Release --project bench/Benchmarks -- --filter '*'   (see bench/README.md)
// dotnet run -c Release --project bench/Benchmarks -- --lease-memory 100000   (bytes per lease, keepalive cost)
if (args is ["--lease-memory", var count])
{
    return LeaseMemory.Run(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
