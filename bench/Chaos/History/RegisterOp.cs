using LockService.Client;

namespace LockService.Chaos.History;

public enum RegisterOpKind
{
    Read,
    Write,
}

/// <summary>
/// One operation the fenced register received, in the register's own order (<see cref="Seq"/>). A write carries the
/// value its client read (<see cref="Expected"/>) and the value it writes (<see cref="ValueAfter"/> when accepted);
/// <see cref="ValueBefore"/> is the register's value when the operation arrived.
/// </summary>
public sealed record RegisterOp(
    long Seq, long Ts, int Client, string Lock, FencingToken Token, RegisterOpKind Kind, bool Accepted, long ValueBefore, long? Expected, long ValueAfter);
