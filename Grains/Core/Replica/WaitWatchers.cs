using LockService.Leases;

namespace LockService.Replica;

/// <summary>
/// The open polls of each waiting acquire, by request id. A client may have several polls of one wait open on the
/// leader at once (its direct call through a stuck gateway, the same call through another gateway, a follower's
/// forward, a probe): all of them are answered when the wait resolves, so the grant reaches whichever path still
/// works, not only the poll that came last (which may be a probe the client has already stopped listening to).
/// </summary>
internal sealed class WaitWatchers
{
    private readonly Dictionary<RequestId, List<PendingRequest>> _byRequest = [];

    /// <summary>Watches before proposing: the wait may be resolved by a later entry applied before the proposal's answer.</summary>
    public void Watch(RequestId request, PendingRequest poll)
    {
        if (!_byRequest.TryGetValue(request, out var polls))
        {
            _byRequest[request] = polls = [];
        }

        polls.Add(poll);
    }

    public bool IsWatching(RequestId request, PendingRequest poll) => _byRequest.TryGetValue(request, out var polls) && polls.Contains(poll);

    /// <summary>
    /// The wait of <paramref name="request"/> resolved: polls already held (<see cref="PendingStage.Waiting"/>) go to
    /// <paramref name="answerHeld"/> and stop being watched; the others keep <paramref name="answer"/> as their early answer.
    /// </summary>
    public void Resolve(RequestId request, LeaseResult answer, Action<PendingRequest> answerHeld)
    {
        if (!_byRequest.TryGetValue(request, out var polls))
        {
            return;
        }

        for (var i = polls.Count - 1; i >= 0; i--)
        {
            var poll = polls[i];
            if (poll.Stage != PendingStage.Waiting)
            {
                poll.EarlyAnswer = answer; // its proposal's own answer is still to come
                continue;
            }

            polls.RemoveAt(i);
            answerHeld(poll);
        }

        if (polls.Count == 0)
        {
            _byRequest.Remove(request);
        }
    }

    public void Forget(RequestId request, PendingRequest poll)
    {
        if (_byRequest.TryGetValue(request, out var polls) && polls.Remove(poll) && polls.Count == 0)
        {
            _byRequest.Remove(request);
        }
    }

    public void Clear() => _byRequest.Clear();
}
