using System.Text.Json;

namespace LockService.Cli;

/// <summary>The cluster at a glance, from a silo's JSON API: groups with leaders and replicas, and silos.</summary>
internal static class StatusCommand
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(Uri silo, bool json, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = silo, Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            using var groups = JsonDocument.Parse(await http.GetStringAsync("/api/groups", ct));
            using var silos = JsonDocument.Parse(await http.GetStringAsync("/api/silos", ct));
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { groups = groups.RootElement, silos = silos.RootElement }, Indented));
                return ExitCodes.Done;
            }

            var leaderless = 0;
            foreach (var group in groups.RootElement.EnumerateArray())
            {
                var leader = group.GetProperty("leader");
                leaderless += leader.ValueKind == JsonValueKind.Null ? 1 : 0;
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
            foreach (var s in silos.RootElement.EnumerateArray())
            {
                Console.WriteLine(
                    $"  {s.GetProperty("endpoint").GetString(),-22} {s.GetProperty("status").GetString(),-10} replicas {s.GetProperty("replicas")} leaders {s.GetProperty("leaders")}{(s.GetProperty("drained").GetBoolean() ? "  DRAINED" : "")}");
            }

            return leaderless == 0 ? ExitCodes.Done : ExitCodes.Error;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}: {e.Message}");
            return ExitCodes.Error;
        }
    }
}
