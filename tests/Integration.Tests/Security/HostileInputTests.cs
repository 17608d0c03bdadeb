using LockService.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;

namespace LockService.Integration.Tests.Security;

/// <summary>
/// Hostile input through the grain interface, as any gateway client can send it: each gets a typed status, and the
/// group's state (a held lock as Describe shows it, the session count) is the same afterwards.
/// </summary>
public sealed class HostileInputTests(AzuriteFixture azurite)
{
    private static readonly string[] HostileNames =
    [
        "", new string('n', 10 * 1024), new string('n', 1024 * 1024), "ctl\u0001name", "nul\0name", "c1\u009Fname",
    ];

    // Lone surrogates never reach a grain: Orleans' string codec writes UTF-8 and turns them into U+FFFD on the wire
    // (the replica core refuses them too, see DoorValidationTests, and the SDK before sending).

    [Fact]
    public async Task Hostile_names_ttls_timeouts_ids_and_tokens_get_typed_errors_and_change_nothing()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var probe = await SecurityProbe.ConnectAsync(cluster);
        var key = Guid.NewGuid();
        var next = 1L;
        RequestId Next() => new(key, next++);
        var session = (await probe.Ask(g => g.OpenSession(new OpenSessionRequest(Next(), 3_600_000)))).SessionId;
        var grant = await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), session, "kept", LockMode.Exclusive, 0, 0)));
        Assert.Equal(ReplyStatus.Granted, grant.Status);
        var before = await probe.ShapeOfAsync("kept");
        var sessions = await probe.SessionCountAsync();

        foreach (var name in HostileNames)
        {
            Assert.Equal(ReplyStatus.InvalidName, (await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), session, name, LockMode.Exclusive, 0, 0)))).Status);
            Assert.Equal(ReplyStatus.InvalidName, (await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), session, name, LockMode.Shared, 1_000, 100, MaxCount: 2)))).Status);
            Assert.Equal(ReplyStatus.InvalidName, (await probe.Ask(g => g.Release(new ReleaseRequest(Next(), session, name, grant.Token)))).Status);
            Assert.Equal(ReplyStatus.InvalidName, (await probe.Ask(g => g.CancelWait(new CancelWaitRequest(Next(), session, name, new RequestId(key, 2))))).Status);
            Assert.Equal(ReplyStatus.InvalidName, (await probe.Ask(g => g.Describe(name))).Status);
            Assert.Equal(ReplyStatus.InvalidName, (await probe.Ask(g => g.IsCurrent(name, grant.Token))).Status);
        }

        foreach (var ttl in new[] { 0L, -1L, long.MinValue, 999L, long.MaxValue, 24 * 3_600_000L })
        {
            Assert.Equal(ReplyStatus.InvalidTtl, (await probe.Ask(g => g.OpenSession(new OpenSessionRequest(Next(), ttl)))).Status);
        }

        foreach (var (waitMs, pollMs) in new[] { (-1L, 0L), (long.MinValue, 0L), (long.MaxValue, 10L), (10L, -5L) })
        {
            Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), session, "kept", LockMode.Exclusive, waitMs, pollMs)))).Status);
        }

        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), session, "kept", (LockMode)7, 0, 0)))).Status);
        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), session, "sem", LockMode.Shared, 0, 0, MaxCount: -3)))).Status);
        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(key, -5), 5_000)))).Status);
        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(Guid.Empty, 1), 5_000)))).Status);
        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.List("", null, -1))).Status);
        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.List(new string('p', 100_000), null, 10))).Status);

        // Unknown, forged and zero session ids; forged and stale tokens.
        foreach (var forged in new[] { Guid.NewGuid(), Guid.Empty })
        {
            Assert.Equal(ReplyStatus.UnknownSession, (await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), forged, "kept", LockMode.Exclusive, 0, 0)))).Status);
            Assert.Equal(ReplyStatus.UnknownSession, (await probe.Ask(g => g.Release(new ReleaseRequest(Next(), forged, "kept", grant.Token)))).Status);
            Assert.Contains((await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(forged, key)))).Status, new[] { ReplyStatus.UnknownSession, ReplyStatus.SessionExpired });
        }

        Assert.Contains(
            (await probe.Ask(g => g.Release(new ReleaseRequest(Next(), session, "kept", new FencingToken(grant.Token.Term, grant.Token.Index + 1))))).Status,
            new[] { ReplyStatus.StaleToken, ReplyStatus.NotHolder });
        Assert.Equal(ReplyStatus.StaleToken, (await probe.Ask(g => g.Release(new ReleaseRequest(Next(), session, "kept", new FencingToken(-1, -1))))).Status);
        Assert.False((await probe.Ask(g => g.IsCurrent("kept", new FencingToken(grant.Token.Term, grant.Token.Index - 1)))).IsCurrent);

        Assert.Equal(before, await probe.ShapeOfAsync("kept"));
        Assert.Equal(sessions, await probe.SessionCountAsync());
        Assert.True((await probe.Ask(g => g.IsCurrent("kept", grant.Token))).IsCurrent); // and the group still serves
    }
}
