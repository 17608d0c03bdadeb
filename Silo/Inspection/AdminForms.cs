using System.Net;
using LockService.Silo.Admin;

namespace LockService.Silo.Inspection;

/// <summary>The lease pages' admin forms: each posts its action with the API key as a field (see <see cref="AdminEndpoints"/>).</summary>
public static class AdminForms
{
    private const string KeyField = "<input type=\"password\" name=\"apiKey\" placeholder=\"API key\" autocomplete=\"off\" required>";

    public static string ForceRelease(string lockName) =>
        "<h2>Admin</h2><form class=\"admin\" id=\"force-release\" method=\"post\" action=\"/leases/admin/force-release\">" +
        $"<input type=\"hidden\" name=\"name\" value=\"{E(lockName)}\">" +
        "<input type=\"text\" name=\"token\" placeholder=\"up to token (blank: current holders)\"> " + KeyField +
        " <button type=\"submit\">Force release</button> <small>committed through the log: the next grant gets a higher token; the holder finds out when it next uses its token</small></form>";

    public static string Transfer(int group) =>
        $"<form class=\"admin\" id=\"transfer-{group}\" method=\"post\" action=\"/leases/admin/transfer\">" +
        $"<input type=\"hidden\" name=\"group\" value=\"{group}\">" +
        "<input type=\"number\" name=\"to\" min=\"0\" placeholder=\"to replica (blank: any caught-up)\"> " + KeyField +
        " <button type=\"submit\">Transfer leadership</button></form>";

    public static string Silos(IReadOnlyList<SiloView> silos)
    {
        var html = new System.Text.StringBuilder("<h2>Silos</h2><table><tr><th>silo</th><th>name</th><th>status</th><th>replicas</th><th>leaders</th><th>drained</th><th>admin</th></tr>");
        foreach (var silo in silos)
        {
            var action = silo.Drained ? "undrain" : "drain";
            html.Append($"<tr><td>{E(silo.Endpoint)}</td><td>{E(silo.Name)}</td><td>{E(silo.Status)}</td><td>{silo.Replicas}</td><td>{silo.Leaders}</td><td>{(silo.Drained ? "yes" : "no")}</td><td>")
                .Append($"<form class=\"admin\" method=\"post\" action=\"/leases/admin/{action}\"><input type=\"hidden\" name=\"silo\" value=\"{E(silo.Endpoint)}\">")
                .Append(KeyField).Append($" <button type=\"submit\">{(silo.Drained ? "Undrain" : "Drain")}</button></form></td></tr>");
        }

        return html.Append("</table>").ToString();
    }

    private static string E(string? text) => WebUtility.HtmlEncode(text ?? "");
}
