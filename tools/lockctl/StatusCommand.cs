using System.Text.Json;

namespace LockService.Cli;

/// <summary>
/// The cluster at a glance, from a silo's JSON API: groups with leaders and replicas, and silos. Exit 0 when every
/// group has a leader, 1 when one has none (or the silo cannot be reached), 6 when the silo wants a key.
/// </summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    // An election takes a few hundred milliseconds; a group is reported leaderless only when it still has no leader
    // after this long, so a status taken during a leader change (or just after start-up) does not cry wolf.
    private static readonly TimeSpan LeaderGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(500);

    public static async Task<int> RunAsync(Uri silo, string? apiKey, bool json, CancellationToken ct)
    {
        using var http = SiloHttp.Create(silo, apiKey, TimeSpan.FromSeconds(10));
        try
        {
            var deadline = DateTimeOffset.UtcNow + LeaderGrace;
            var groups = JsonDocument.Parse(await http.GetStringAsync("/api/groups", ct));
            while (Leaderless(groups.RootElement).Count > 0 && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(Retry, ct);
                groups.Dispose();
                groups = JsonDocument.Parse(await http.GetStringAsync("/api/groups", ct));
            }

            using (groups)
            {
                using var silos = JsonDocument.Parse(await http.GetStringAsync("/api/silos", ct));
                var leaderless = Leaderless(groups.RootElement);
                if (json)
                {
                    Console.WriteLine(JsonSerializer.Serialize(
                        new { healthy = leaderless.Count == 0, leaderless, groups = groups.RootElement, silos = silos.RootElement }, Indented));
                }
                else
                {
                    PrintText(groups.RootElement, silos.RootElement, leaderless);
                }

                return leaderless.Count == 0 ? ExitCodes.Done : ExitCodes.Error;
            }
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}: {e.Message}");
            return SiloHttp.ExitCodeOf(e);
        }
        catch (Exception e) when (e is TaskCanceledException or JsonException)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}: {e.Message}");
            return ExitCodes.Error;
        }
    }

    private static List<int> Leaderless(JsonElement groups) =>
        [.. groups.EnumerateArray().Where(g => g.GetProperty("leader").ValueKind == JsonValueKind.Null).Select(g => g.GetProperty("group").GetInt32())];

    private static void PrintText(JsonElement groups, JsonElement silos, List<int> leaderless)
    {
        foreach (var group in groups.EnumerateArray())
        {
            var leader = group.GetProperty("leader");
            Console.WriteLine($"group {group.GetProperty("group")}: leader {(leader.ValueKind == JsonValueKind.Null ? "NONE" : "replica " + leader)}, term {group.GetProperty("term")}");
            foreach (var replica in group.GetProperty("replicas").EnumerateArray())
            {
                var status = replica.GetProperty("status");
                Console.WriteLine(status.ValueKind == JsonValueKind.Null
                    ? $"  replica {replica.GetProperty("replica")}: unreachable ({replica.GetProperty("error")})"
                    : $"  replica {replica.GetProperty("replica")}: {status.GetProperty("role").GetString(),-10} commit {status.GetProperty("commitIndex")} applied {status.GetProperty("appliedIndex")} on {status.GetProperty("silo").GetString()}");
            }
        }

        Console.WriteLine("silos:");
        foreach (var s in silos.EnumerateArray())
        {
            Console.WriteLine(
                $"  {s.GetProperty("endpoint").GetString(),-22} {s.GetProperty("status").GetString(),-10} replicas {s.GetProperty("replicas")} leaders {s.GetProperty("leaders")}{(s.GetProperty("drained").GetBoolean() ? "  DRAINED" : "")}");
        }

        Console.WriteLine(leaderless.Count == 0
            ? "healthy: every group has a leader"
            : $"UNHEALTHY: no leader in group(s) {string.Join(", ", leaderless)} for {LeaderGrace.TotalSeconds:0} s");
    }
}
