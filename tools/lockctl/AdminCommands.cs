using System.Net;
using System.Text.Json;

namespace LockService.Cli;

/// <summary>
/// Operators' actions through a silo's admin API (POST /api/admin/...), authorized by the API key
/// (--api-key or LOCKSERVICE_API_KEY; sent as X-LockService-Key).
/// </summary>
internal static class AdminCommands
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Task<int> ForceReleaseAsync(Uri silo, string? apiKey, string name, string? token, bool json, CancellationToken ct) =>
        PostAsync(
            silo, apiKey, $"/api/admin/force-release/{string.Join('/', name.Split('/').Select(Uri.EscapeDataString))}" + (token is null ? "" : $"?token={Uri.EscapeDataString(token)}"),
            json, body => $"released {name} up to token {Text(body, "token")}", ct);

    public static Task<int> TransferAsync(Uri silo, string? apiKey, int group, int? to, bool json, CancellationToken ct) =>
        PostAsync(silo, apiKey, $"/api/admin/groups/{group}/transfer" + (to is { } target ? $"?to={target}" : ""), json, body => Text(body, "message"), ct);

    public static async Task<int> DrainAsync(Uri silo, string? apiKey, string endpoint, bool drain, bool wait, bool json, CancellationToken ct)
    {
        var code = await PostAsync(silo, apiKey, $"/api/admin/silos/{Uri.EscapeDataString(endpoint)}/{(drain ? "drain" : "undrain")}", json, body => Text(body, "message"), ct);
        if (code != ExitCodes.Done || !drain || !wait)
        {
            return code;
        }

        // Until the silo hosts no replica (its leaders hand over first, then its replicas move).
        using var http = Client(silo, apiKey);
        while (!ct.IsCancellationRequested)
        {
            using var silos = JsonDocument.Parse(await http.GetStringAsync("/api/silos", ct));
            var remaining = silos.RootElement.EnumerateArray()
                .Where(s => s.GetProperty("endpoint").GetString() == endpoint)
                .Select(s => s.GetProperty("replicas").GetInt32())
                .FirstOrDefault();
            if (remaining == 0)
            {
                Console.WriteLine(json ? JsonSerializer.Serialize(new { silo = endpoint, drained = true, replicas = 0 }) : $"{endpoint} hosts no replica");
                return ExitCodes.Done;
            }

            await Task.Delay(TimeSpan.FromSeconds(1), ct);
        }

        return ExitCodes.Error;
    }

    private static async Task<int> PostAsync(Uri silo, string? apiKey, string path, bool json, Func<JsonElement, string?> summary, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(apiKey))
        {
            await Console.Error.WriteLineAsync("lockctl: admin actions need the API key: --api-key or LOCKSERVICE_API_KEY.");
            return ExitCodes.Unauthorized;
        }

        using var http = Client(silo, apiKey);
        try
        {
            using var response = await http.PostAsync(path, null, ct);
            var text = await response.Content.ReadAsStringAsync(ct);
            using var body = JsonDocument.Parse(text.Length > 0 ? text : "{}");
            var ok = response.IsSuccessStatusCode;
            if (json)
            {
                Console.WriteLine(JsonSerializer.Serialize(body.RootElement, Indented));
            }
            else if (ok)
            {
                Console.WriteLine(summary(body.RootElement));
            }

            if (!ok)
            {
                var detail = Text(body.RootElement, "detail") ?? Text(body.RootElement, "message") ?? text;
                await Console.Error.WriteLineAsync($"lockctl: {(int)response.StatusCode} {response.StatusCode}: {detail}");
            }

            return response.StatusCode switch
            {
                _ when ok => ExitCodes.Done,
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => ExitCodes.Unauthorized,
                HttpStatusCode.NotFound => ExitCodes.NotCurrent,
                _ => ExitCodes.Error,
            };
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            await Console.Error.WriteLineAsync($"lockctl: {silo}{path.TrimStart('/')}: {e.Message}");
            return ExitCodes.Error;
        }
    }

    private static HttpClient Client(Uri silo, string? apiKey) => SiloHttp.Create(silo, apiKey, TimeSpan.FromSeconds(30));

    private static string? Text(JsonElement body, string property) =>
        body.ValueKind == JsonValueKind.Object && body.TryGetProperty(property, out var value) && value.ValueKind != JsonValueKind.Null ? value.ToString() : null;
}
