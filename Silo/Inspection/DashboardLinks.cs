using System.Text;
using LockService.Hosting;

namespace LockService.Silo.Inspection;

/// <summary>
/// Links between the Orleans dashboard and the lease pages. The dashboard (Orleans.Dashboard 10) has no extension point
/// for links or pages, so the silo adds a bar with a link to the lease pages to the dashboard's start page as it is
/// served; the lease pages link each replica to the dashboard's Grain Details and to the state it shows there.
/// </summary>
public static class DashboardLinks
{
    public const string DashboardPath = "/dashboard";

    /// <summary>The dashboard's Grain Details page (it takes the grain type and key in a form; it has no deep link).</summary>
    public const string GrainDetails = DashboardPath + "/#/grainDetails";

    public static readonly string ReplicaGrainType = typeof(ReplicaGrain).FullName!;

    /// <summary>The dashboard's own answer for a replica's Grain Details (what its <c>GetState</c> returns, as JSON).</summary>
    public static string ReplicaState(string replicaKey) =>
        $"{DashboardPath}/GrainState?grainId={Uri.EscapeDataString(replicaKey)}&grainType={Uri.EscapeDataString(ReplicaGrainType)}";

    private const string Bar =
        "<div id=\"lockservice-links\" style=\"position:fixed;bottom:0;right:0;z-index:10000;padding:.4em .8em;" +
        "background:#222;color:#fff;font:14px system-ui,sans-serif;border-top-left-radius:6px\">LockService: " +
        "<a style=\"color:#9cf\" href=\"/leases\">lease pages</a> · replica state: Grain Details, type " +
        "<code>LockService.Hosting.ReplicaGrain</code>, id <code>{group}/{replica}</code></div>";

    /// <summary>Adds the link bar to the dashboard's start page (served as HTML at the dashboard's root or index.html).</summary>
    public static IApplicationBuilder UseLeaseLinksInDashboard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var path = context.Request.Path.Value ?? "";
        if (!HttpMethods.IsGet(context.Request.Method) ||
            path is not (DashboardPath or DashboardPath + "/" or DashboardPath + "/index.html"))
        {
            await next(context);
            return;
        }

        context.Request.Headers.AcceptEncoding = "identity"; // the bar is inserted into plain text
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = original;
        }

        var bytes = buffer.ToArray();
        if (context.Response.StatusCode == StatusCodes.Status200OK &&
            context.Response.ContentType?.StartsWith("text/html", StringComparison.OrdinalIgnoreCase) == true)
        {
            bytes = Encoding.UTF8.GetBytes(WithBar(Encoding.UTF8.GetString(bytes)));
            context.Response.ContentLength = bytes.Length;
        }

        await original.WriteAsync(bytes, context.RequestAborted);
    });

    /// <summary>The page with the bar just before its closing body tag (or at its end when there is none).</summary>
    public static string WithBar(string html)
    {
        var end = html.LastIndexOf("</body>", StringComparison.OrdinalIgnoreCase);
        return end < 0 ? html + Bar : html.Insert(end, Bar);
    }
}
