using LockService.Client.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace LockService.Client.Tests.Transport;

/// <summary>
/// Quiet clients: a replica whose silo died or whose connection was reset is a routine failover step, which the SDK
/// logs at Debug (no warning, no stack trace on the user's console); only a failure of an unexpected kind warns.
/// </summary>
public sealed class QuietFailoverTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<Exception> TransientFailures() =>
    [
        new SiloUnavailableException("silo is dead"),
        new ConnectionFailedException("Connection reset by peer"),
        new TimeoutException("no answer"),
    ];

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task A_connection_failure_on_failover_is_logged_at_debug_only(Exception failure)
    {
        var logger = new LevelRecorder();
        var grains = new FakeResolver(groups: 1, replicasPerGroup: 3);
        grains.Replicas[0][0].Behaviour = FakeReplica.Throws(failure);
        var router = new ReplicaRouter(new OrleansReplicaChannel(grains), new LockClientOptions(), new FakeTimeProvider(), logger);

        var reply = await router.DescribeAsync(0, "x", Ct);

        Assert.Equal(Protocol.ReplyStatus.Ok, reply.Status);
        Assert.Contains(LogLevel.Debug, logger.Levels);
        Assert.DoesNotContain(logger.Levels, level => level >= LogLevel.Warning);
    }

    [Fact]
    public async Task An_unexpected_failure_still_warns()
    {
        var logger = new LevelRecorder();
        var grains = new FakeResolver(groups: 1, replicasPerGroup: 3);
        grains.Replicas[0][0].Behaviour = FakeReplica.Throws(new InvalidOperationException("a bug"));
        var router = new ReplicaRouter(new OrleansReplicaChannel(grains), new LockClientOptions(), new FakeTimeProvider(), logger);

        await router.DescribeAsync(0, "x", Ct);

        Assert.Contains(LogLevel.Warning, logger.Levels);
    }

    private sealed class LevelRecorder : ILogger
    {
        public List<LogLevel> Levels { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Levels)
            {
                Levels.Add(logLevel);
            }
        }
    }
}
