using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Protocol;

namespace LockService.Integration.Tests.Security;

/// <summary>
/// Only a lock's owner can touch it: another client that reads every id Describe publishes still cannot renew,
/// release, withdraw or close anything of the owner's, nor wedge the owner through <c>AnsweredBelow</c>.
/// </summary>
public sealed class OwnershipTests(AzuriteFixture azurite)
{
    private const string Name = "owned";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Another_client_with_every_published_id_cannot_act_for_the_holder_or_the_waiter()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var probe = await SecurityProbe.ConnectAsync(cluster);
        await using var clients = new TestClients(cluster);
        var (holder, waiter) = (clients.Create(), clients.Create());
        var held = await holder.AcquireAsync(Name, cancellationToken: Ct);
        var waiting = waiter.AcquireAsync(Name, TimeSpan.FromMinutes(5), cancellationToken: Ct);
        var published = await Eventually.Until(() => probe.Ask(g => g.Describe(Name)), d => d.Waiters.Count == 1, "the waiter is queued");
        var before = await probe.ShapeOfAsync(Name);
        var (holderInfo, waiterInfo) = (Assert.Single(published.Holders), Assert.Single(published.Waiters));

        // The attacker's own identity, and the identity it can read (the waiter's client id as Describe shows it).
        var attacker = Guid.NewGuid();
        var seen = waiterInfo.Request.ClientId;
        var own = await probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(attacker, 1), 5_000)));
        Assert.Equal(ReplyStatus.Ok, own.Status);

        Assert.Equal(ReplyStatus.UnknownSession, (await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(holderInfo.SessionId, attacker)))).Status);
        Assert.Equal(ReplyStatus.UnknownSession, (await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(holderInfo.SessionId, seen)))).Status);
        Assert.Equal(ReplyStatus.InvalidArgument, (await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(holderInfo.SessionId)))).Status);
        foreach (var identity in new[] { attacker, seen })
        {
            var (id, next) = (identity, 10L);
            RequestId Next() => new(id, next++);
            AssertRefused((await probe.Ask(g => g.Release(new ReleaseRequest(Next(), holderInfo.SessionId, Name, holderInfo.Token)))).Status);
            AssertRefused((await probe.Ask(g => g.Release(new ReleaseRequest(Next(), own.SessionId, Name, holderInfo.Token)))).Status);
            AssertRefused((await probe.Ask(g => g.CancelWait(new CancelWaitRequest(Next(), waiterInfo.SessionId, Name, waiterInfo.Request)))).Status);
            AssertRefused((await probe.Ask(g => g.CloseSession(new CloseSessionRequest(Next(), holderInfo.SessionId)))).Status);
            AssertRefused((await probe.Ask(g => g.CloseSession(new CloseSessionRequest(Next(), waiterInfo.SessionId)))).Status);
            AssertRefused((await probe.Ask(g => g.Acquire(new AcquireRequest(Next(), waiterInfo.SessionId, Name, LockMode.Exclusive, 0, 0)))).Status);
        }

        // AnsweredBelow abuse with the waiter's published id: it lands on another identity, not on the waiter's.
        var wedge = await probe.Ask(g => g.Acquire(new AcquireRequest(
            new RequestId(seen, long.MaxValue - 1), own.SessionId, "elsewhere", LockMode.Exclusive, 0, 0, AnsweredBelow: long.MaxValue)));
        Assert.NotEqual(ReplyStatus.Granted, wedge.Status);

        Assert.Equal(before, await probe.ShapeOfAsync(Name));
        Assert.False(held.LostToken.IsCancellationRequested);
        Assert.False(waiting.IsCompleted);

        // The owners are not wedged: the holder releases, the waiter is granted, and both go on working.
        await held.ReleaseAsync(Ct);
        await using var granted = await waiting;
        Assert.True(granted.Token > held.Token);
        await using var again = await holder.TryAcquireAsync("holder-still-works", cancellationToken: Ct);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Describe_and_keepalives_without_the_key_cannot_keep_a_dead_holder_alive()
    {
        await using var cluster = await LockServiceCluster.StartAsync(azurite);
        var probe = await SecurityProbe.ConnectAsync(cluster);
        var owner = Guid.NewGuid();
        var session = await probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(owner, 1), 3_000)));
        var grant = await probe.Ask(g => g.Acquire(new AcquireRequest(new RequestId(owner, 2), session.SessionId, "abandoned", LockMode.Exclusive, 0, 0)));
        Assert.Equal(ReplyStatus.Granted, grant.Status);
        var stranger = Guid.NewGuid();

        // The owner is gone; a stranger renews with every id it can read. The session still expires after its TTL.
        await Eventually.Until(
            async () =>
            {
                var renewal = await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(session.SessionId, stranger)));
                Assert.NotEqual(ReplyStatus.Ok, renewal.Status);
                return (await probe.Ask(g => g.Describe("abandoned"))).Holders.Count;
            },
            holders => holders == 0,
            "the abandoned session expired despite the stranger's keepalives");
        Assert.Equal(ReplyStatus.SessionExpired, (await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(session.SessionId, owner)))).Status);
    }

    private static void AssertRefused(ReplyStatus status) =>
        Assert.Contains(status, new[] { ReplyStatus.UnknownSession, ReplyStatus.NotHolder, ReplyStatus.StaleToken });
}
