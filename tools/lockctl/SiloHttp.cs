using System.Net;

namespace LockService.Cli;

/// <summary>A silo's HTTP API, with the API key on every request when one is given (reads need it too on a silo with a read key).</summary>
internal static class SiloHttp
{
    public static HttpClient Create(Uri silo, string? apiKey, TimeSpan timeout)
    {
        var http = new HttpClient { BaseAddress = silo, Timeout = timeout };
        if (!string.IsNullOrEmpty(apiKey))
        {
            http.DefaultRequestHeaders.Add("X-LockService-Key", apiKey);
        }

        return http;
    }

    /// <summary>A failed request's exit code: refused for the key (401/403) is <see cref="ExitCodes.Unauthorized"/>, anything else an error.</summary>
    public static int ExitCodeOf(HttpRequestException e) =>
        e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? ExitCodes.Unauthorized : ExitCodes.Error;
}
