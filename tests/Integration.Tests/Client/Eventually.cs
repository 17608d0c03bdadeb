namespace LockService.Integration.Tests.Client;

/// <summary>
/// A bounded poll, for conditions that no event announces (for example that another client's wait reached the
/// service's queue: only <see cref="LockService.Client.ILockClient.DescribeAsync"/> shows it).
/// </summary>
internal static class Eventually
{
    public static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            Assert.True(DateTime.UtcNow < deadline, $"not reached within {timeout ?? TimeSpan.FromSeconds(20)}: {what}; last seen: {value}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}
