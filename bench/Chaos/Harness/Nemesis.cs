using System.Diagnostics;
using LockService.Chaos.History;
using LockService.Testing;

namespace LockService.Chaos.Harness;

/// <summary>
/// Injects one fault at a time and returns it once healed. Targets the silo hosting group 0's leader where the
/// fault says so (a random silo when no leader is known at that moment).
/// </summary>
internal sealed class Nemesis(
    ChaosOptions options, SiloProcessCluster cluster, ReplicaProbe probe, IGrainFactory grains, AzuriteControl azurite, IReadOnlyList<ClientProcess> clients,
    PartitionMarkers partitions, Random random)
{
    public async Task<Fault> InjectAsync(string kind, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case FaultKinds.KillLeader:
            case FaultKinds.KillSilo:
                {
                    var silo = kind == FaultKinds.KillLeader ? await LeaderSiloAsync() : await FollowerSiloAsync();
                    var at = await Task.Run(() => cluster.Kill(silo), CancellationToken.None);
                    return new Fault(kind, silo.ToString(), at, at);
                }

            case FaultKinds.KillTwo:
                {
                    var statuses = await probe.StatusesAsync(0, TimeSpan.FromSeconds(1));
                    var leaderStatus = probe.Leader(statuses);
                    var leader = (leaderStatus is null ? null : cluster.FindBySiloAddress(leaderStatus.Silo)) is { IsRunning: true } found ? found : AnyRunning(null);
                    var followers = statuses
                        .Where(s => s is not null && s.ReplicaKey != leaderStatus?.ReplicaKey)
                        .Select(s => cluster.FindBySiloAddress(s!.Silo))
                        .Where(s => s is { IsRunning: true } && s != leader)
                        .ToArray();
                    var follower = followers.Length > 0 ? followers[random.Next(followers.Length)]! : AnyRunning(leader);
                    var kills = await Task.WhenAll(Task.Run(() => cluster.Kill(leader), CancellationToken.None), Task.Run(() => cluster.Kill(follower), CancellationToken.None));
                    return new Fault(kind, $"{leader} and {follower}", kills.Min(), kills.Min());
                }

            case FaultKinds.PauseLeaderShort:
            case FaultKinds.PauseLeaderMedium:
            case FaultKinds.PauseLeaderLong:
                {
                    var silo = await LeaderSiloAsync();
                    var length = kind == FaultKinds.PauseLeaderShort ? options.PauseShort : kind == FaultKinds.PauseLeaderMedium ? options.PauseMedium : options.PauseLong;
                    var at = SiloProcessCluster.Pause(silo);
                    await Task.Delay(length, CancellationToken.None);
                    return new Fault(kind, $"{silo} for {length.TotalSeconds:0.#} s", at, SiloProcessCluster.Resume(silo));
                }

            case FaultKinds.AzuriteRestart:
                {
                    var at = Stopwatch.GetTimestamp();
                    await azurite.StopAsync();
                    await Task.Delay(options.AzuriteDown, CancellationToken.None);
                    await azurite.StartAsync(cancellationToken);
                    return new Fault(kind, $"down {options.AzuriteDown.TotalSeconds:0.#} s", at, Stopwatch.GetTimestamp());
                }

            case FaultKinds.PartitionLeader:
                {
                    var silo = await LeaderSiloAsync();
                    var at = partitions.Isolate(silo);
                    await Task.Delay(options.PartitionFor, CancellationToken.None);
                    return new Fault(kind, $"{silo} cut off from its peers for {options.PartitionFor.TotalSeconds:0.#} s", at, partitions.Heal(silo));
                }

            case FaultKinds.ClientPause:
                {
                    // Past the session TTL, so its lease ends while it sleeps and another client gets its lock.
                    var client = clients[random.Next(clients.Count)];
                    var length = options.SessionTtl + TimeSpan.FromSeconds(3);
                    var at = Stopwatch.GetTimestamp();
                    client.Pause();
                    await Task.Delay(length, CancellationToken.None);
                    var healed = Stopwatch.GetTimestamp();
                    client.Resume();
                    return new Fault(kind, $"client {client.Index} (pid {client.Pid}) for {length.TotalSeconds:0.#} s", at, healed, client.Index);
                }

            default:
                throw new ArgumentException($"unknown fault '{kind}'; known: {string.Join(", ", typeof(FaultKinds).GetFields().Select(f => f.GetValue(null)))}", nameof(kind));
        }
    }

    /// <summary>
    /// Whether group 0 is whole again: a leader with a majority, and its replicas on distinct silos. Until a replica
    /// that waited out a silo's absence on another replica's silo has moved home, one fault of that silo takes two
    /// replicas: the next fault waits for this, so that each one is a single fault of a whole service.
    /// </summary>
    public async Task<bool> GroupWholeAsync()
    {
        var statuses = await probe.StatusesAsync(0, TimeSpan.FromSeconds(1));
        return probe.Leader(statuses) is not null && statuses.All(s => s is not null)
            && statuses.Select(s => s!.Silo).Distinct().Count() == Math.Min(statuses.Length, cluster.Silos.Count)
            && await EveryRunningSiloActiveAsync();
    }

    /// <summary>
    /// Whether every running silo process is an active member. A silo paused past its death declaration runs on after
    /// it resumes, for seconds to tens of seconds at this load, until it reads that it was declared dead and stops; a
    /// fault in that time would meet it stopping, and be a second fault.
    /// </summary>
    private async Task<bool> EveryRunningSiloActiveAsync()
    {
        Dictionary<SiloAddress, SiloStatus> hosts;
        try
        {
            hosts = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return false;
        }

        return cluster.Silos.Where(s => s.IsRunning).All(silo =>
            hosts.Where(h => h.Key.Endpoint.Port == silo.SiloPort).OrderByDescending(h => h.Key.Generation).FirstOrDefault() is { Key: not null } newest
            && newest.Value == SiloStatus.Active);
    }

    private async Task<SiloProcess> LeaderSiloAsync()
    {
        var leader = probe.Leader(await probe.StatusesAsync(0, TimeSpan.FromSeconds(1)));
        return (leader is null ? null : cluster.FindBySiloAddress(leader.Silo)) is { IsRunning: true } silo ? silo : AnyRunning(null);
    }

    private async Task<SiloProcess> FollowerSiloAsync()
    {
        var leader = probe.Leader(await probe.StatusesAsync(0, TimeSpan.FromSeconds(1)));
        return AnyRunning(leader is null ? null : cluster.FindBySiloAddress(leader.Silo));
    }

    private SiloProcess AnyRunning(SiloProcess? except)
    {
        var candidates = cluster.Silos.Where(s => s.IsRunning && s != except).ToArray();
        return candidates.Length == 0 ? cluster.Silos[random.Next(cluster.Silos.Count)] : candidates[random.Next(candidates.Length)];
    }
}
