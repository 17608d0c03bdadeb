using LockService.Client;
using LockService.Raft;
using LockService.Replica;

namespace LockService.Leases.Tests.Replica;

/// <summary>
/// Input validation at the door: a malformed request is answered with a typed code where it arrives, before the
/// replica looks at leadership, proposes, reads or writes anything.
/// </summary>
public sealed class DoorValidationTests
{
    private static readonly TimeSpan Now = TimeSpan.FromSeconds(1);
    private static readonly SessionId Session = new(0xABCDEF);
    private static readonly RequestId Request = new(new ClientId(77), 5);

    public static TheoryData<string, string> HostileNames => new()
    {
        { "empty", "" },
        { "10 KB", new string('n', 10 * 1024) },
        { "1 MB", new string('n', 1024 * 1024) },
        { "control character", "orders\n42" },
        { "C1 control", "orders\u0085" },
        { "DEL", "orders\u007F" },
        { "lone high surrogate", "orders\uD800" },
        { "lone low surrogate", "\uDC00orders" },
        { "513 bytes", new string('é', 256) + "x" },
    };

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_hostile_name_is_refused_on_every_command_that_carries_one(string why, string name)
    {
        ReplicaRequest[] requests =
        [
            new ReplicaRequest.Acquire(Request, 0, Session, name, LockMode.Exclusive, 0, 0),
            new ReplicaRequest.Acquire(Request, 0, Session, name, LockMode.Shared, 1000, 100, MaxCount: 3),
            new ReplicaRequest.Release(Request, 0, Session, name, new FencingToken(1, 2)),
            new ReplicaRequest.CancelWait(Request, 0, Session, name, 4),
            new ReplicaRequest.Describe(name),
            new ReplicaRequest.IsCurrent(name, new FencingToken(1, 2)),
        ];

        foreach (var request in requests)
        {
            Assert.True(AnswerOf(request) == ReplyCode.InvalidName, $"{why}: {request.GetType().Name}");
        }
    }

    public static TheoryData<ReplicaRequest, ReplyCode> HostileArguments => new()
    {
        { new ReplicaRequest.OpenSession(Request, 0, 0), ReplyCode.InvalidTtl },
        { new ReplicaRequest.OpenSession(Request, 0, -5_000), ReplyCode.InvalidTtl },
        { new ReplicaRequest.OpenSession(Request, 0, 999), ReplyCode.InvalidTtl },
        { new ReplicaRequest.OpenSession(Request, 0, long.MaxValue), ReplyCode.InvalidTtl },
        { new ReplicaRequest.OpenSession(Request with { Sequence = 0 }, 0, 5_000), ReplyCode.InvalidArgument },
        { new ReplicaRequest.KeepAlive(default, new ClientId(77)), ReplyCode.UnknownSession },
        { new ReplicaRequest.KeepAlive(Session, default), ReplyCode.InvalidArgument },
        { new ReplicaRequest.CloseSession(Request, 0, default), ReplyCode.UnknownSession },
        { new ReplicaRequest.Acquire(Request, 0, Session, "a", LockMode.Exclusive, -1, 0), ReplyCode.InvalidArgument },
        { new ReplicaRequest.Acquire(Request, 0, Session, "a", LockMode.Exclusive, long.MaxValue, 0), ReplyCode.InvalidArgument },
        { new ReplicaRequest.Acquire(Request, 0, Session, "a", LockMode.Exclusive, 10, -1), ReplyCode.InvalidArgument },
        { new ReplicaRequest.Acquire(Request, 0, Session, "a", (LockMode)9, 0, 0), ReplyCode.InvalidArgument },
        { new ReplicaRequest.Acquire(Request, 0, Session, "a", LockMode.Shared, 0, 0, MaxCount: -1), ReplyCode.InvalidArgument },
        { new ReplicaRequest.Acquire(Request, 0, Session, "a", LockMode.Shared, 0, 0, MaxCount: int.MaxValue), ReplyCode.InvalidArgument },
        { new ReplicaRequest.Acquire(Request, 0, default, "a", LockMode.Exclusive, 0, 0), ReplyCode.UnknownSession },
        { new ReplicaRequest.Release(Request, 0, Session, "a", new FencingToken(-1, 5)), ReplyCode.StaleToken },
        { new ReplicaRequest.CancelWait(Request, 0, Session, "a", 0), ReplyCode.InvalidArgument },
        { new ReplicaRequest.IsCurrent("a", new FencingToken(3, -1)), ReplyCode.StaleToken },
        { new ReplicaRequest.List("", null, 0), ReplyCode.InvalidArgument },
        { new ReplicaRequest.List("", null, 1_000_000), ReplyCode.InvalidArgument },
        { new ReplicaRequest.List(new string('p', 1024 * 1024), null, 10), ReplyCode.InvalidArgument },
        { new ReplicaRequest.List("", "bad\0after", 10), ReplyCode.InvalidArgument },
    };

    [Theory]
    [MemberData(nameof(HostileArguments))]
    public void A_hostile_argument_gets_a_typed_code(ReplicaRequest request, ReplyCode expected) =>
        Assert.Equal(expected, AnswerOf(request));

    [Fact]
    public void A_well_formed_request_passes_the_door_and_meets_the_leadership_check()
    {
        Assert.Equal(ReplyCode.NotLeader, AnswerOf(new ReplicaRequest.Acquire(Request, 0, Session, "orders/42", LockMode.Exclusive, 10, 10)));
    }

    /// <summary>Asks a follower (which would answer NotLeader to anything valid) and checks nothing else happened.</summary>
    private static ReplyCode AnswerOf(ReplicaRequest request)
    {
        var core = new ReplicaCore(
            new ReplicaCoreOptions(), new RaftConfig { Id = 0, Voters = [0, 1, 2] }, new Random(1), PersistedState.Empty, Now, () => new SessionId(7));
        core.Outbox.Clear();

        core.Request(1, request, Now);

        var (ticket, reply) = Assert.Single(core.Outbox.Replies);
        Assert.Equal(1, ticket);
        Assert.Null(core.Outbox.Write);
        Assert.Empty(core.Outbox.Messages);
        Assert.Equal(0, core.OpenRequests);
        return reply.Code;
    }
}
