using System.Net;
using LockService.Client;
using LockService.Silo.Inspection;

namespace LockService.Silo.Admin;

/// <summary>
/// Admin actions over HTTP, each authorized by the API key (<see cref="AdminAuthorization"/>): POST endpoints of the
/// JSON API, and the same actions posted by the lease pages' forms (the key is a form field there, which also keeps
/// other sites from posting them). The silo list is read-only and open like the other inspection pages.
/// </summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapLockServiceAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/silos", async (LockServiceAdmin admin) => Results.Json(await admin.SilosAsync()));

        var api = app.MapGroup("/api/admin");
        api.MapPost("/force-release/{**name}", async (LockServiceAdmin admin, HttpContext context, string? token) =>
        {
            var (result, bad) = await ForceReleaseAsync(admin, LockNameInPath.Decode(context, "/api/admin/force-release/"), token);
            return bad ?? ToJson(result!);
        }).RequireAdminKey();
        api.MapPost("/groups/{group:int}/transfer", async (LockServiceAdmin admin, int group, int? to) =>
            ToJson(await admin.TransferAsync(group, to ?? -1))).RequireAdminKey();
        api.MapPost("/silos/{silo}/drain", async (LockServiceAdmin admin, string silo) =>
            await admin.DrainAsync(silo, drain: true) is { } drained ? Results.Json(drained) : UnknownSilo(silo)).RequireAdminKey();
        api.MapPost("/silos/{silo}/undrain", async (LockServiceAdmin admin, string silo) =>
            Results.Json(await admin.DrainAsync(silo, drain: false))).RequireAdminKey();

        // The lease pages' forms: the same actions, answered with a page that links back.
        app.MapPost("/leases/admin/{action}", async (LockServiceAdmin admin, HttpContext context, string action) =>
        {
            if (!context.Request.HasFormContentType)
            {
                return Results.Problem("Post a form (application/x-www-form-urlencoded).", statusCode: StatusCodes.Status415UnsupportedMediaType);
            }

            var form = await context.Request.ReadFormAsync(context.RequestAborted);
            if (AdminAuthorization.Check(context, form["apiKey"].FirstOrDefault()) is { } refused)
            {
                return refused;
            }

            string outcome;
            switch (action)
            {
                case "force-release":
                    var (result, bad) = await ForceReleaseAsync(admin, form["name"].FirstOrDefault() ?? "", form["token"].FirstOrDefault());
                    outcome = bad is not null ? "Bad token: use term.index, e.g. 7.10423." : $"{result!.Status}: {result.Message}";
                    break;
                case "transfer":
                    var group = int.TryParse(form["group"].FirstOrDefault(), out var g) ? g : -1;
                    var to = int.TryParse(form["to"].FirstOrDefault(), out var t) ? t : -1;
                    var transfer = await admin.TransferAsync(group, to);
                    outcome = $"{transfer.Status}: {transfer.Message}";
                    break;
                case "drain" or "undrain":
                    var silo = form["silo"].FirstOrDefault() ?? "";
                    outcome = await admin.DrainAsync(silo, action == "drain") is { } drained ? drained.Message : $"No active silo {silo}.";
                    break;
                default:
                    return Results.NotFound();
            }

            return Results.Content(
                $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>LockService admin</title></head><body>" +
                $"<h1>{WebUtility.HtmlEncode(action)}</h1><p id=\"outcome\">{WebUtility.HtmlEncode(outcome)}</p><p><a href=\"/leases\">Back to the lease pages</a></p></body></html>",
                "text/html; charset=utf-8");
        }).DisableAntiforgery();
        return app;
    }

    private static async Task<(AdminResult? Result, IResult? Bad)> ForceReleaseAsync(LockServiceAdmin admin, string name, string? token)
    {
        var upTo = FencingToken.None;
        if (!string.IsNullOrWhiteSpace(token) && !FencingToken.TryParse(token.Trim(), out upTo))
        {
            return (null, Results.Problem($"'{token}' is not a fencing token: use term.index, e.g. 7.10423.", statusCode: StatusCodes.Status400BadRequest));
        }

        return (await admin.ForceReleaseAsync(name, upTo), null);
    }

    private static IResult ToJson(AdminResult result) => Results.Json(result, statusCode: result.Status switch
    {
        "Ok" => StatusCodes.Status200OK,
        "NotHolder" => StatusCodes.Status404NotFound,
        "InvalidName" or "InvalidArgument" => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status503ServiceUnavailable,
    });

    private static IResult UnknownSilo(string silo) =>
        Results.Problem($"No active silo with endpoint '{silo}': see /api/silos for 'address:port' values.", statusCode: StatusCodes.Status404NotFound);
}
