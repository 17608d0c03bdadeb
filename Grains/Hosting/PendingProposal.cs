using System.Diagnostics;
using LockService.Leases;
using LockService.Protocol;

namespace LockService.Hosting;

/// <summary>A command this leader proposed at (index, term), waiting to be applied to answer its client.</summary>
internal sealed class PendingProposal(long term)
{
    private readonly TaskCompletionSource<ProposalOutcome> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long StartedTimestamp { get; } = Stopwatch.GetTimestamp();

    public Task<ProposalOutcome> Outcome => _outcome.Task;

    /// <summary>The entry at the proposed index was applied; it is ours only if its term is the one we proposed in.</summary>
    public void Complete(long appliedTerm, LeaseResult? result) =>
        _outcome.TrySetResult(appliedTerm == term && result is not null
            ? new ProposalOutcome(ReplyStatus.Ok, result)
            : new ProposalOutcome(ReplyStatus.NotLeader, null));

    public void Fail(ReplyStatus status) => _outcome.TrySetResult(new ProposalOutcome(status, null));
}

/// <param name="Status"><see cref="ReplyStatus.Ok"/> with the state machine's result, or why there is none.</param>
internal readonly record struct ProposalOutcome(ReplyStatus Status, LeaseResult? Result);
