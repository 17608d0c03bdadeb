namespace LockService.Raft.Tests.Unit;

/// <summary>Helpers to drive a single node by hand.</summary>
internal static class Kit
{
    public static RaftConfig Config(int id, int voters = 3, Func<RaftConfig, RaftConfig>? configure = null)
    {
        var config = new RaftConfig { Id = id, Voters = Enumerable.Range(0, voters).ToArray(), PreVote = false, CheckQuorum = false };
        return configure is null ? config : configure(config);
    }

    public static RaftNode Node(int id = 0, int voters = 3, Func<RaftConfig, RaftConfig>? configure = null, int seed = 1) =>
        new(Config(id, voters, configure), new Random(seed));

    /// <summary>Takes a Ready, acknowledges it as if persisted and handled, and returns it.</summary>
    public static Ready Drain(RaftNode node)
    {
        var ready = node.GetReady();
        node.Advance(ready);
        return ready;
    }

    public static List<RaftMessage> Messages(Ready ready) => [.. ready.MessagesBeforePersist, .. ready.MessagesAfterPersist];

    public static List<T> Sent<T>(RaftNode node)
        where T : RaftMessage => node.HasReady ? Messages(Drain(node)).OfType<T>().ToList() : [];

    /// <summary>Ticks a follower until its election timer fires.</summary>
    public static void TickUntilCampaign(RaftNode node)
    {
        for (var i = 0; i < 100 && node.Role == RaftRole.Follower; i++)
        {
            node.Tick();
        }
    }

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>A follower in <paramref name="term"/> whose log holds entries of the given terms at indexes 1, 2, ...</summary>
    public static RaftNode WithLog(int id, long term, long[] entryTerms, int voters = 3, Func<RaftConfig, RaftConfig>? configure = null, long commit = 0)
    {
        var entries = entryTerms.Select((t, i) => new LogEntry(i + 1, t, EntryType.Normal, Bytes($"e{i + 1}"))).ToArray();
        return RaftNode.Restart(Config(id, voters, configure), new Random(id + 1), new PersistedState(new HardState(term, null, commit), null, entries));
    }
}
