using System.Text.Json;

namespace LockService.Cli;

/// <summary>
/// Locks in name order from a silo's JSON API (each group read through its leader): one group with --group, or every
/// group of the cluster, merged. Each group is read page by page to its end.
/// </summary>
internal static class ListCommand
{
    private const int PageSize = 1000;
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(Uri silo, string? apiKey, int? group, string prefix, bool json, CancellationToken ct)
    {
        using var http = SiloHttp.Create(silo, apiKey, TimeSpan.FromSeconds(30));
        try
        {
            var groups = group is { } only ? [only] : Enumerable.Range(0, (await GetAsync(http, "/api/groups", ct)).GetArrayLength()).ToArray();
            var locks = new List<LockLine>();
            foreach (var g in groups)
            {
                string? after = null;
                do
                {
                    var page = await GetAsync(
                        http, $"/api/groups/{g}/locks?prefix={Uri.EscapeDataString(prefix)}&limit={PageSize}" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}"), ct);
                    if (page.GetProperty("status").GetInt32() != 0)
                    {
                        await Console.Error.WriteLineAsync($"lockctl: group {g}: {page.GetProperty("message").GetString()}");
                        return ExitCodes.Error;
                    }

                    locks.AddRange(page.GetProperty("locks").EnumerateArray().Select(l => LockLine.Of(g, l)));
                    after = page.GetProperty("continuation").GetString();
                }
                while (after is not null);
            }

            locks.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(new { prefix, locks }, Indented));
            }
            else
            {
                foreach (var l in locks)
                {
                    Console.WriteLine($"{l.Name}  group {l.Group}  {l.Kind}  holders {l.Holders}  waiters {l.Waiters}  newest token {l.NewestToken}");
                }

                Console.WriteLine($"{locks.Count} lock(s){(prefix.Length > 0 ? $" starting with '{prefix}'" : "")}");
            }

            return ExitCodes.Done;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}: {e.Message}");
            return SiloHttp.ExitCodeOf(e);
        }
        catch (Exception e) when (e is TaskCanceledException or JsonException or KeyNotFoundException)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}: {e.Message}");
            return ExitCodes.Error;
        }
    }

    private static async Task<JsonElement> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(path, ct));
        return document.RootElement.Clone();
    }

    /// <summary>One lock as lockctl prints it: modes and tokens as people write them.</summary>
    private sealed record LockLine(string Name, int Group, string Kind, int Holders, int Waiters, string NewestToken)
    {
        public static LockLine Of(int group, JsonElement summary)
        {
            var maxCount = summary.GetProperty("maxCount").GetInt32();
            var mode = summary.GetProperty("mode");
            var kind = maxCount > 0 ? $"semaphore({maxCount})"
                : mode.ValueKind == JsonValueKind.Null ? "no holder"
                : mode.GetInt32() == 0 ? "exclusive" : "shared";
            var token = summary.GetProperty("newestToken");
            return new LockLine(
                summary.GetProperty("name").GetString()!, group, kind, summary.GetProperty("holders").GetInt32(), summary.GetProperty("waiters").GetInt32(),
                $"{token.GetProperty("term").GetInt64()}.{token.GetProperty("index").GetInt64()}");
        }
    }
}
