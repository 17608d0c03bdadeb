using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Benchmarks -- --filter '*'   (see bench/README.md)
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
