using LockService.Integration.Tests.Infrastructure;

[assembly: AssemblyFixture(typeof(AzuriteFixture))]
