using Microsoft.Extensions.Time.Testing;

namespace LockService.Client.Tests.Fakes;

/// <summary>One fake service on fake time, and any number of SDK clients talking to it.</summary>
internal sealed class Harness : IAsyncDisposable
{
    private readonly List<LockServiceClient> _clients = [];
    private int _seed;

    public Harness(int groupCount = 1)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        Service = new FakeLockService(Time, groupCount);
    }

    public FakeTimeProvider Time { get; }

    public FakeLockService Service { get; }

    public static LockClientOptions DefaultOptions() => new()
    {
        SessionTtl = TimeSpan.FromSeconds(10),
        RequestTimeout = TimeSpan.FromSeconds(5),
        WaitPollInterval = TimeSpan.FromSeconds(5),
    };

    public LockServiceClient Client(LockClientOptions? options = null)
    {
        var client = new LockServiceClient(Service, options ?? DefaultOptions(), Time, random: new Random(++_seed));
        _clients.Add(client);
        return client;
    }

    /// <summary>Lets background work (thread-pool continuations) run; fake time does not move.</summary>
    public static async Task Settle()
    {
        await Task.Delay(1);
        await Task.Delay(1);
    }

    /// <summary>Advances fake time in steps, letting background work run between steps.</summary>
    public async Task Advance(TimeSpan total, TimeSpan? step = null)
    {
        var by = step ?? TimeSpan.FromMilliseconds(100);
        for (var advanced = TimeSpan.Zero; advanced < total; advanced += by)
        {
            await Settle();
            Time.Advance(by);
        }

        await Settle();
    }

    /// <summary>Advances fake time until <paramref name="task"/> completes (at most <paramref name="max"/>).</summary>
    public async Task<T> AdvanceUntil<T>(Task<T> task, TimeSpan? max = null, TimeSpan? step = null)
    {
        await AdvanceUntil((Task)task, max, step);
        return await task;
    }

    public async Task AdvanceUntil(Task task, TimeSpan? max = null, TimeSpan? step = null)
    {
        var limit = max ?? TimeSpan.FromMinutes(2);
        var by = step ?? TimeSpan.FromMilliseconds(100);
        for (var advanced = TimeSpan.Zero; !task.IsCompleted; advanced += by)
        {
            Assert.True(advanced <= limit, $"the task did not complete within {limit} of fake time");
            await Settle();
            if (!task.IsCompleted)
            {
                Time.Advance(by);
            }
        }
    }

    /// <summary>Waits (without moving fake time) until a condition holds; for background work to catch up.</summary>
    public static async Task Until(Func<bool> condition, string what)
    {
        for (var i = 0; i < 2000 && !condition(); i++)
        {
            await Task.Delay(1);
        }

        Assert.True(condition(), $"timed out waiting until {what}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            var dispose = client.DisposeAsync().AsTask();
            await AdvanceUntil(dispose, TimeSpan.FromMinutes(1));
        }

        Service.Dispose();
    }
}
