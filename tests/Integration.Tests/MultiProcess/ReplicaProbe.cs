using System.Diagnostics;
using LockService.Hosting;
using LockService.Protocol;

namespace LockService.Testing;

/// <summary>
/// Asks the replicas of a group for their own views (<see cref="IReplicaPeerGrain.Status"/>) through any grain
/// factory (a cluster client works). No event exists to await a leader, so it polls. Shared by the multi-process
/// integration tests, bench/LoadBench and bench/Chaos (linked source).
/// </summary>
public sealed class ReplicaProbe(IGrainFactory grains, int replicasPerGroup = 3)
{
    /// <summary>Each replica's view, or null where the replica did not answer within <paramref name="timeout"/>.</summary>
    public Task<ReplicaStatus?[]> StatusesAsync(int group = 0, TimeSpan? timeout = null) =>
        Task.WhenAll(Enumerable.Range(0, replicasPerGroup).Select(r => TryStatusAsync(group, r, timeout ?? TimeSpan.FromSeconds(2))));

    /// <summary>
    /// Waits until one replica leads with a majority (itself included) agreeing on its term and leadership, in a term
    /// above <paramref name="aboveTerm"/>; with <paramref name="spread"/>, also until every replica answers from a silo of
    /// its own (placement has moved them apart).
    /// </summary>
    public async Task<ReplicaStatus> WaitForLeaderAsync(
        int group = 0, TimeSpan? timeout = null, long aboveTerm = -1, bool spread = false, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)((timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var statuses = await StatusesAsync(group);
            if (Leader(statuses, aboveTerm) is { } leader
                && (!spread || statuses.All(s => s is not null) && statuses.Select(s => s!.Silo).Distinct().Count() == replicasPerGroup))
            {
                return leader;
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException(
                    $"No {(spread ? "spread-out " : "")}leader in group {group} above term {aboveTerm}: {string.Join("; ", statuses.Select(s => s?.ToString() ?? "unreachable"))}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>The replica that leads with a majority agreeing, if any.</summary>
    public ReplicaStatus? Leader(IReadOnlyList<ReplicaStatus?> statuses, long aboveTerm = -1)
    {
        foreach (var leader in statuses.Where(s => s is { Role: "Leader", Fenced: false } && s.Term > aboveTerm))
        {
            var id = LockGroups.ParseReplicaKey(leader!.ReplicaKey).Replica;
            var agreeing = statuses.Count(s => s is not null && s.Term == leader.Term && s.LeaderId == id);
            if (agreeing > replicasPerGroup / 2)
            {
                return leader;
            }
        }

        return null;
    }

    private async Task<ReplicaStatus?> TryStatusAsync(int group, int replica, TimeSpan timeout)
    {
        try
        {
            return await grains.GetGrain<IReplicaPeerGrain>(LockGroups.ReplicaKey(group, replica)).Status().WaitAsync(timeout);
        }
        catch (Exception)
        {
            return null;
        }
    }
}
