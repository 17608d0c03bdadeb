using System.Text;
using LockService.Silo.Admin;
using Microsoft.Extensions.Options;

namespace LockService.Silo.Security;

/// <summary>
/// The read key check in front of every HTTP endpoint (see <see cref="HttpAccessOptions.ReadApiKey"/>). Health probes
/// stay open so that orchestrators need no secret; admin endpoints do their own, stricter check.
/// </summary>
public static class HttpReadAuthorization
{
    public static IApplicationBuilder UseLockServiceReadAuthorization(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var readKey = context.RequestServices.GetRequiredService<IOptions<HttpAccessOptions>>().Value.ReadApiKey;
        var path = context.Request.Path;
        if (string.IsNullOrEmpty(readKey) || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/api/admin"))
        {
            await next(context);
            return;
        }

        var adminKey = context.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey;
        var presented = AdminAuthorization.PresentedKey(context) ?? BasicPassword(context);
        if (presented is not null && (AdminAuthorization.KeysMatch(presented, readKey) || (!string.IsNullOrEmpty(adminKey) && AdminAuthorization.KeysMatch(presented, adminKey))))
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = new[] { "Basic realm=\"LockService\"", "Bearer" };
        await context.Response.WriteAsync(
            $"{(presented is null ? "No" : "A wrong")} key: this silo requires LockService:Http:ReadApiKey (send it in the {AdminAuthorization.KeyHeader} header, as a Bearer token, or as the Basic password).",
            context.RequestAborted);
    });

    /// <summary>The password of an HTTP Basic header (the user name is ignored), null if there is none or it is malformed.</summary>
    private static string? BasicPassword(HttpContext context)
    {
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 ? null : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
