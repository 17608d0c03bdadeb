using System.Net;
using System.Text;
using LockService.Protocol;
using LockService.Silo.Admin;

namespace LockService.Silo.Inspection;

/// <summary>
/// The silo's lease pages (HTML, for people) and the same facts as JSON (for tools): groups with their leaders,
/// terms and replicas; locks with holders, tokens, remaining session TTLs and waiters.
/// </summary>
public static class LeasePages
{
    public static IEndpointRouteBuilder MapLeasePages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/groups", async (LockServiceInspector inspector) => Results.Json(await inspector.GroupsAsync()));
        app.MapGet("/api/groups/{group:int}/locks", async (LockServiceInspector inspector, int group, string? prefix, string? after, int? limit) =>
            Results.Json(await inspector.ListAsync(group, prefix ?? "", after, Math.Clamp(limit ?? 100, 1, 1000))));
        app.MapGet("/api/groups/{group:int}/replicas/{replica:int}/state", async (LockServiceInspector inspector, int group, int replica) =>
            await inspector.ReplicaStateAsync(group, replica) is { } state ? Results.Json(state) : Results.NotFound());
        app.MapGet("/api/locks/{**name}", async (LockServiceInspector inspector, HttpContext context) =>
            Results.Json(await inspector.DescribeAsync(LockNameInPath.Decode(context, "/api/locks/"))));

        app.MapGet("/leases", async (LockServiceInspector inspector, LockServiceAdmin admin, string? prefix) => Html(await GroupsPageAsync(inspector, admin, prefix ?? "")));
        app.MapGet("/leases/locks/{**name}", async (LockServiceInspector inspector, HttpContext context) =>
            Html(LockPage(await inspector.DescribeAsync(LockNameInPath.Decode(context, "/leases/locks/")))));
        return app;
    }

    private static async Task<string> GroupsPageAsync(LockServiceInspector inspector, LockServiceAdmin admin, string prefix)
    {
        var groups = await inspector.GroupsAsync();
        var html = new StringBuilder(Header("LockService leases"));
        html.Append("<p>Replicas report their own view; locks are read through each group's leader (linearizable). ")
            .Append("<a href=\"/dashboard\">Orleans dashboard</a> · <a href=\"/api/groups\">JSON</a></p>");
        foreach (var group in groups)
        {
            html.Append($"<h2>Group {group.Group}: leader {(group.Leader is { } l ? "replica " + l : "<em>none</em>")}, term {group.Term}</h2>");
            html.Append("<table><tr><th>replica</th><th>role</th><th>term</th><th>leader</th><th>commit</th><th>applied</th><th>last</th><th>sessions</th><th>locks</th><th>silo</th><th>dashboard</th></tr>");
            foreach (var replica in group.Replicas)
            {
                if (replica.Status is { } s)
                {
                    html.Append($"<tr><td>{replica.Replica}</td><td>{E(s.Role)}</td><td>{s.Term}</td><td>{s.LeaderId}</td><td>{s.CommitIndex}</td><td>{s.AppliedIndex}</td><td>{s.LastIndex}</td><td>{s.Sessions}</td><td>{s.HeldLocks}</td><td>{E(s.Silo)}</td><td>{ReplicaLinks(s.ReplicaKey)}</td></tr>");
                }
                else
                {
                    html.Append($"<tr><td>{replica.Replica}</td><td colspan=\"10\">unreachable: {E(replica.Error)}</td></tr>");
                }
            }

            html.Append("</table>").Append(AdminForms.Transfer(group.Group));
            var locks = await inspector.ListAsync(group.Group, prefix, null, 100);
            if (locks.Status != ReplyStatus.Ok)
            {
                html.Append($"<p>Locks unavailable: {E(locks.Status.ToString())} {E(locks.Message)}</p>");
                continue;
            }

            html.Append("<table><tr><th>lock</th><th>mode</th><th>holders</th><th>waiters</th><th>newest token</th></tr>");
            foreach (var summary in locks.Locks)
            {
                html.Append($"<tr><td><a href=\"/leases/locks/{LockNameInPath.Encode(summary.Name)}\">{E(summary.Name)}</a></td><td>{Kind(summary.Mode, summary.MaxCount)}</td><td>{summary.Holders}</td><td>{summary.Waiters}</td><td>{summary.NewestToken}</td></tr>");
            }

            html.Append("</table>");
            if (locks.Continuation is not null)
            {
                html.Append("<p>More locks: use <code>/api/groups/").Append(group.Group).Append("/locks?after=…</code></p>");
            }
        }

        return html.Append(AdminForms.Silos(await admin.SilosAsync())).Append("</body></html>").ToString();
    }

    private static string LockPage(DescribeReply reply)
    {
        var html = new StringBuilder(Header("Lock " + reply.Name));
        html.Append($"<p><a href=\"/leases\">All groups</a> · <a href=\"/api/locks/{LockNameInPath.Encode(reply.Name)}\">JSON</a> · <a href=\"/dashboard\">Orleans dashboard</a></p>");
        if (reply.Status != ReplyStatus.Ok)
        {
            return html.Append($"<p>Unavailable: {E(reply.Status.ToString())} {E(reply.Message)}</p></body></html>").ToString();
        }

        if (reply.MaxCount > 0)
        {
            html.Append($"<p>Semaphore: {reply.Holders.Count} of {reply.MaxCount} permits held, each with its own fencing token.</p>");
        }

        html.Append("<h2>Holders</h2><table><tr><th>session</th><th>mode</th><th>fencing token</th><th>session TTL left (ms)</th></tr>");
        foreach (var holder in reply.Holders)
        {
            html.Append($"<tr><td>{holder.SessionId}</td><td>{holder.Mode}</td><td>{holder.Token}</td><td>{holder.SessionRemainingTtlMs}</td></tr>");
        }

        html.Append("</table><h2>Waiters (FIFO)</h2><table><tr><th>#</th><th>session</th><th>mode</th><th>request</th></tr>");
        var position = 1;
        foreach (var waiter in reply.Waiters)
        {
            html.Append($"<tr><td>{position++}</td><td>{waiter.SessionId}</td><td>{waiter.Mode}</td><td>{waiter.Request.ClientId}#{waiter.Request.Sequence}</td></tr>");
        }

        return html.Append("</table>").Append(AdminForms.ForceRelease(reply.Name)).Append("</body></html>").ToString();
    }

    /// <summary>The replica in the dashboard: its Grain Details page, and the state that page shows for it.</summary>
    private static string ReplicaLinks(string replicaKey) =>
        $"<a class=\"grain-details\" href=\"{DashboardLinks.GrainDetails}\" title=\"type {DashboardLinks.ReplicaGrainType}, id {E(replicaKey)}\">Grain Details</a> · " +
        $"<a class=\"replica-state\" href=\"{E(DashboardLinks.ReplicaState(replicaKey))}\">state</a>";

    /// <summary>A lock's mode, or "semaphore (n)" for a semaphore of n permits.</summary>
    private static string Kind(Client.LockMode? mode, int maxCount) => maxCount > 0 ? $"semaphore ({maxCount})" : $"{mode}";

    private static string Header(string title) =>
        $"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>" +
        "body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse;margin:.5em 0 1.5em}" +
        "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}th{background:#f3f3f3}</style></head>" +
        $"<body><h1>{E(title)}</h1>";

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");

    private static IResult Html(string html) => Results.Content(html, "text/html; charset=utf-8");
}
