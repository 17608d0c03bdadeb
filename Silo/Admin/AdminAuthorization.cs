using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LockService.Silo.Admin;

/// <summary>
/// The API key check of every admin action: 403 when no key is configured (admin actions are off), 401 when the request
/// carries no key or a wrong one. Keys are compared in constant time.
/// </summary>
public static class AdminAuthorization
{
    public const string KeyHeader = "X-LockService-Key";

    /// <summary>Null when authorized; otherwise the problem to answer with.</summary>
    public static IResult? Check(HttpContext context, string? formKey = null)
    {
        var configured = context.RequestServices.GetRequiredService<IOptions<AdminOptions>>().Value.ApiKey;
        if (string.IsNullOrEmpty(configured))
        {
            return Results.Problem(
                "Admin actions are disabled on this silo: set LockService:Admin:ApiKey (e.g. LockService__Admin__ApiKey) to enable them.",
                statusCode: StatusCodes.Status403Forbidden,
                title: "Admin actions disabled");
        }

        var presented = PresentedKey(context) ?? formKey;
        if (presented is null || !KeysMatch(presented, configured))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Problem(
                $"{(presented is null ? "No" : "A wrong")} API key: send it in the {KeyHeader} header or as 'Authorization: Bearer <key>'.",
                statusCode: StatusCodes.Status401Unauthorized,
                title: "API key required");
        }

        return null;
    }

    /// <summary>For the JSON endpoints: runs the check before the handler.</summary>
    public static TBuilder RequireAdminKey<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (invocation, next) => Check(invocation.HttpContext) ?? await next(invocation));

    /// <summary>Compares in constant time (for equal lengths), so a wrong key's timing tells nothing of the right one.</summary>
    public static bool KeysMatch(string presented, string configured) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(configured));

    /// <summary>The key in the <see cref="KeyHeader"/> header or a Bearer token, null if neither is there.</summary>
    public static string? PresentedKey(HttpContext context)
    {
        if (context.Request.Headers.TryGetValue(KeyHeader, out var header) && header.Count > 0 && !string.IsNullOrEmpty(header[0]))
        {
            return header[0];
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;
    }
}
