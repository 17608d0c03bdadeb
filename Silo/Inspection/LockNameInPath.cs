using Microsoft.AspNetCore.Http.Features;

namespace LockService.Silo.Inspection;

/// <summary>
/// Lock names in URL paths. Names often contain '/' ("orders/42"): links keep it literal and escape each segment, and
/// the catch-all route takes the rest of the path. The name is read from the raw request target, because ASP.NET
/// Core decodes every escape in a path except "%2F": decoding it once here gives back any name exactly, whether the
/// link escaped its slashes or not.
/// </summary>
public static class LockNameInPath
{
    public static string Encode(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    /// <summary>The name after <paramref name="prefix"/> (e.g. "/api/locks/") in the request's raw path.</summary>
    public static string Decode(HttpContext context, string prefix)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?');
        var path = query < 0 ? raw : raw[..query];
        var start = path.IndexOf(prefix, StringComparison.Ordinal);
        return start < 0 ? "" : Uri.UnescapeDataString(path[(start + prefix.Length)..]);
    }
}
