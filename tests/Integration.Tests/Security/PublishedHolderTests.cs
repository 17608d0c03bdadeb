using System.Text.RegularExpressions;
using LockService.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Integration.Tests.MultiProcess;
using LockService.Protocol;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LockService.Integration.Tests.Security;

/// <summary>
/// What the silo publishes about holders and waiters (the JSON API, the lease pages, the replica state the dashboard
/// shows, the SDK's Describe) are labels, not credentials: every id in them, used as a client key, a client id or a
/// session, gets keepalive, release, cancel and close refused, and the lock stays as it was.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed partial class PublishedHolderTests(AzuriteFixture azurite)
{
    private const string Name = "orders/42";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact(Timeout = 300_000)]
    public async Task No_id_the_http_api_or_describe_publishes_lets_anyone_act_as_a_holder_or_a_waiter()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await SiloProcessCluster.StartAsync(
            // One silo (it hosts all three replicas) serves every page; fewer processes start faster on a loaded machine.
            new SiloProcessOptions { StorageConnectionString = azurite.ConnectionString, Silos = 1, StartTimeout = TimeSpan.FromSeconds(150) }, ct);
        // A long session TTL: on a loaded machine a 10 s session can expire during the probing, and a closed session would
        // make "refused" and "not open any more" indistinguishable.
        using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(o => o.SessionTtl = TimeSpan.FromMinutes(2)), cancellationToken: Ct);
        var grains = client.Services.GetRequiredService<IClusterClient>();
        var locks = client.Services.GetRequiredService<ILockClient>();
        var probe = SecurityProbe.Of(grains, await new ReplicaProbe(grains).WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(60), cancellationToken: Ct));

        // The holder through the SDK; the waiter with raw calls, so that its key is known here and nowhere else.
        var held = await locks.AcquireAsync(Name, TimeSpan.FromSeconds(60), cancellationToken: Ct);
        var waiterKey = Guid.NewGuid();
        var waiterSession = await probe.Ask(g => g.OpenSession(new OpenSessionRequest(new RequestId(waiterKey, 1), 600_000)));
        Assert.Equal(ReplyStatus.Ok, waiterSession.Status);
        var queued = await probe.Ask(g => g.Acquire(new AcquireRequest(new RequestId(waiterKey, 2), waiterSession.SessionId, Name, LockMode.Exclusive, 600_000, 0)));
        Assert.Equal(ReplyStatus.Queued, queued.Status);

        // Everything published about the lock, its holder and its waiter.
        var http = $"http://127.0.0.1:{cluster.Silos[0].HttpPort}";
        string[] paths =
        [
            "/api/locks/orders/42", "/leases/locks/orders/42", "/leases", "/api/groups", "/api/groups/0/locks",
            "/api/groups/0/replicas/0/state", "/api/groups/0/replicas/1/state", "/api/groups/0/replicas/2/state",
        ];
        var published = string.Join('\n', await Task.WhenAll(paths.Select(path => Http.GetStringAsync(http + path, Ct))));
        var described = await locks.DescribeAsync(Name, Ct);
        published += string.Join('\n', described!.Holders.Select(h => h.SessionId).Concat(described.Waiters.Select(w => w.SessionId)));
        var ids = GuidPattern().Matches(published).Select(m => Guid.Parse(m.Value)).ToHashSet();
        var sequences = SequencePattern().Matches(published).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var holder = Assert.Single(described.Holders);
        Assert.Contains(holder.SessionId, ids); // the scrape sees what a reader sees
        Assert.Contains(waiterSession.SessionId, ids);
        Assert.DoesNotContain(waiterKey, ids);
        Assert.NotEmpty(sequences);
        var before = await probe.ShapeOfAsync(Name);
        Guid[] open = [holder.SessionId, waiterSession.SessionId];

        var next = 100L;
        foreach (var identity in ids)
        {
            foreach (var session in ids)
            {
                Assert.NotEqual(ReplyStatus.Ok, (await probe.Ask(g => g.KeepAlive(new KeepAliveRequest(session, identity)))).Status);
                AssertRefused((await probe.Ask(g => g.Release(new ReleaseRequest(new RequestId(identity, next++), session, Name, holder.Token)))).Status);
                var close = (await probe.Ask(g => g.CloseSession(new CloseSessionRequest(new RequestId(identity, next++), session)))).Status;
                if (open.Contains(session))
                {
                    AssertRefused(close);
                }
                else
                {
                    Assert.Equal(ReplyStatus.Ok, close); // closing is idempotent: an id that is no open session is "not open afterwards"
                }

                foreach (var sequence in sequences)
                {
                    var waiting = new RequestId(identity, sequence);
                    AssertRefused((await probe.Ask(g => g.CancelWait(new CancelWaitRequest(new RequestId(identity, next++), session, Name, waiting)))).Status);
                }
            }
        }

        // Nothing changed: the same holder and waiter, and the holder's lease was never in doubt.
        Assert.Equal(before, await probe.ShapeOfAsync(Name));
        Assert.False(held.LostToken.IsCancellationRequested);

        // The owners still can: the waiter's own key withdraws its wait, and the holder releases.
        var withdrawn = await probe.Ask(g => g.CancelWait(new CancelWaitRequest(new RequestId(waiterKey, 3), waiterSession.SessionId, Name, new RequestId(waiterKey, 2))));
        Assert.Equal(ReplyStatus.Ok, withdrawn.Status);
        await held.ReleaseAsync(Ct);
        Assert.Equal(ReplyStatus.Ok, (await probe.Ask(g => g.CloseSession(new CloseSessionRequest(new RequestId(waiterKey, 4), waiterSession.SessionId)))).Status);
        await locks.DisposeAsync();
    }

    private static void AssertRefused(ReplyStatus status) =>
        Assert.Contains(status, new[] { ReplyStatus.UnknownSession, ReplyStatus.NotHolder, ReplyStatus.StaleToken });

    [GeneratedRegex("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")]
    private static partial Regex GuidPattern();

    // A waiter's request as the pages show it: "client#sequence", or "sequence":N in JSON.
    [GeneratedRegex("(?:#|\"sequence\":)([0-9]+)")]
    private static partial Regex SequencePattern();
}
