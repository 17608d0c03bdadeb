using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace LockService.Integration.Tests.Client;

/// <summary>Keeps the SDK's log lines (with the time since creation) so a test can print them when it reports.</summary>
internal sealed class RecordingLogger : ILoggerProvider
{
    private readonly long _start = Stopwatch.GetTimestamp();
    private readonly ConcurrentQueue<string> _lines = new();

    public RecordingLogger(LogLevel minimum = LogLevel.Debug)
    {
        Factory = LoggerFactory.Create(b => b.SetMinimumLevel(minimum).AddProvider(this));
    }

    public ILoggerFactory Factory { get; }

    public IReadOnlyCollection<string> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var at = Stopwatch.GetElapsedTime(owner._start).TotalSeconds;
            owner._lines.Enqueue($"{at,8:0.000} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
        }
    }
}
