using System.CommandLine;
using LockService.Cli;
using LockService.Security;

// lockctl: acquire a lock (hold it, or run a command under it), release, describe, watch a lock, check a token,
// list groups and locks, the cluster's status, and operators' admin actions. Exit codes: see ExitCodes.cs
// (0 done, 1 error, 3 lost while held, 4 not acquired in time, 5 not current / nothing to act on, 6 admin refused).
var storage = new Option<string>("--storage")
{
    Description = "Azure Storage connection string of the cluster (env LOCKSERVICE_STORAGE)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LOCKSERVICE_STORAGE") ?? "UseDevelopmentStorage=true",
    Recursive = true,
};
var clusterId = new Option<string>("--cluster-id") { Description = "Orleans ClusterId", DefaultValueFactory = _ => "lockservice-dev", Recursive = true };
var serviceId = new Option<string>("--service-id") { Description = "Orleans ServiceId", DefaultValueFactory = _ => "lockservice", Recursive = true };
var url = new Option<Uri>("--url")
{
    Description = "A silo's HTTP address, for groups, list, status, release and admin",
    DefaultValueFactory = _ => new Uri("http://127.0.0.1:8080"),
    // System.CommandLine has no converter for Uri: without this parser every --url was a parse error (exit 1).
    CustomParser = result =>
    {
        var text = result.Tokens.Single().Value;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        result.AddError($"--url: '{text}' is not an http(s) address (e.g. http://127.0.0.1:8081).");
        return null;
    },
    Recursive = true,
};
var verbose = new Option<bool>("--verbose") { Description = "Log Orleans' own messages too", Recursive = true };
var json = new Option<bool>("--json") { Description = "Print JSON (one object, or one per line for acquire and watch)", Recursive = true };
var apiKey = new Option<string?>("--api-key")
{
    Description = "The silo's admin API key (env LOCKSERVICE_API_KEY), for release and admin; the admin or read key for groups, list and status on a silo with a read key",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LOCKSERVICE_API_KEY"),
    Recursive = true,
};

// TLS to the gateways: the same LockClient__Tls__* variables as the sample's (docs/SECURITY.md), or these options.
var tlsOn = string.Equals(Environment.GetEnvironmentVariable("LockClient__Tls__Enabled"), "true", StringComparison.OrdinalIgnoreCase);
var tlsCa = new Option<string?>("--tls-ca")
{
    Description = "The cluster's trusted root certificate (.cer); turns TLS on (env LockClient__Tls__TrustedCertificatePath with LockClient__Tls__Enabled=true)",
    DefaultValueFactory = _ => tlsOn ? Environment.GetEnvironmentVariable("LockClient__Tls__TrustedCertificatePath") : null,
    Recursive = true,
};
var tlsCertificate = new Option<string?>("--tls-certificate")
{
    Description = "This client's certificate (.pfx), when the cluster requires one (env LockClient__Tls__CertificatePath; password in LockClient__Tls__CertificatePassword)",
    DefaultValueFactory = _ => tlsOn ? Environment.GetEnvironmentVariable("LockClient__Tls__CertificatePath") : null,
    Recursive = true,
};

var connectTimeout = DurationOption("--connect-timeout", "How long the client commands try to reach a gateway before they exit 1", TimeSpan.FromSeconds(30));
connectTimeout.Recursive = true;

var root = new RootCommand("lockctl: the LockService command line") { storage, clusterId, serviceId, url, verbose, json, apiKey, tlsCa, tlsCertificate, connectTimeout };
Connection ConnectionOf(ParseResult parse, TimeSpan? ttl = null) => new(
    parse.GetValue(storage)!, parse.GetValue(clusterId)!, parse.GetValue(serviceId)!, ttl ?? TimeSpan.FromSeconds(10), parse.GetValue(verbose),
    parse.GetValue(connectTimeout) ?? TimeSpan.FromSeconds(30),
    parse.GetValue(tlsCa) is { Length: > 0 } ca
        ? new LockServiceTlsOptions
        {
            Enabled = true,
            TrustedCertificatePath = ca,
            CertificatePath = parse.GetValue(tlsCertificate) ?? "",
            CertificatePassword = Environment.GetEnvironmentVariable("LockClient__Tls__CertificatePassword"),
        }
        : null);

var name = new Argument<string>("name") { Description = "The lock's name" };

// acquire
var timeout = DurationOption("--timeout", "How long to wait for the lock (FIFO); 0 tries once", TimeSpan.FromSeconds(30));
timeout.Aliases.Add("--wait");
var hold = DurationOption("--hold", "Hold for this long, then release (default: until Ctrl+C or standard input closes)", null);
var ttl = DurationOption("--ttl", "Session TTL: how long the service keeps the lock if this process dies", TimeSpan.FromSeconds(10));
var shared = new Option<bool>("--shared") { Description = "Take the lock in shared mode" };
var command = new Argument<string[]>("command") { Description = "Run this command while holding the lock (after --); its exit code is returned", Arity = ArgumentArity.ZeroOrMore };
var acquire = new Command("acquire", "Acquire a lock, print its fencing token, hold it or run a command under it, release")
{
    name, timeout, hold, ttl, shared, command,
};
acquire.SetAction((parse, ct) => Commands.AcquireAsync(
    ConnectionOf(parse, parse.GetValue(ttl)), parse.GetValue(name)!, parse.GetValue(timeout) ?? TimeSpan.Zero, parse.GetValue(hold),
    parse.GetValue(shared), parse.GetValue(command) ?? [], parse.GetValue(json), ct));
root.Subcommands.Add(acquire);

// release (any holder's grant, by its token: an admin action)
var releaseToken = new Option<string>("--token") { Description = "The grant to release, \"{term}.{index}\" (older shared grants go with it)", Required = true };
var release = new Command("release", "Release a lock's grant by its token, whoever holds it (admin API key needed)") { name, releaseToken };
release.SetAction((parse, ct) => AdminCommands.ForceReleaseAsync(
    parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(name)!, parse.GetValue(releaseToken), parse.GetValue(json), ct));
root.Subcommands.Add(release);

// describe
var describe = new Command("describe", "Show a lock's holders (with tokens) and waiters") { name };
describe.SetAction((parse, ct) => Commands.DescribeAsync(ConnectionOf(parse), parse.GetValue(name)!, parse.GetValue(json), ct));
root.Subcommands.Add(describe);

// is-current
var token = new Argument<string>("token") { Description = "A fencing token, \"{term}.{index}\"" };
var isCurrent = new Command("is-current", "Exit 0 when the token is the lock's current grant, 5 otherwise") { name, token };
isCurrent.SetAction((parse, ct) => Commands.IsCurrentAsync(ConnectionOf(parse), parse.GetValue(name)!, parse.GetValue(token)!, parse.GetValue(json), ct));
root.Subcommands.Add(isCurrent);

// watch
var interval = DurationOption("--interval", "How often to look", TimeSpan.FromMilliseconds(500));
var watch = new Command("watch", "Print a lock's holder changes until Ctrl+C") { name, interval };
watch.SetAction((parse, ct) => WatchCommand.RunAsync(ConnectionOf(parse), parse.GetValue(name)!, parse.GetValue(interval) ?? TimeSpan.FromMilliseconds(500), parse.GetValue(json), ct));
root.Subcommands.Add(watch);

// status
var status = new Command("status", "Groups with their leaders and replicas, and silos (exit 1 when a group has had no leader for 5 s)");
status.SetAction((parse, ct) => StatusCommand.RunAsync(parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(json), ct));
root.Subcommands.Add(status);

// groups and list (through a silo's JSON API)
var groups = new Command("groups", "Each group's leader, term and replicas (from a silo's /api/groups)");
groups.SetAction((parse, ct) => Commands.GetJsonAsync(parse.GetValue(url)!, parse.GetValue(apiKey), "/api/groups", ct));
root.Subcommands.Add(groups);

var group = new Option<int?>("--group") { Description = "Only this group (default: every group)" };
var prefix = new Option<string>("--prefix") { Description = "Only names that start with this (or give it as the argument)", DefaultValueFactory = _ => "" };
var prefixArgument = new Argument<string?>("prefix") { Description = "Only names that start with this", Arity = ArgumentArity.ZeroOrOne };
var list = new Command("list", "Locks in name order, with holders, waiters and newest token (every group, read through its leader)") { prefixArgument, group, prefix };
list.SetAction((parse, ct) => ListCommand.RunAsync(
    parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(group), parse.GetValue(prefixArgument) ?? parse.GetValue(prefix)!, parse.GetValue(json), ct));
root.Subcommands.Add(list);

// admin: operators' actions through a silo's admin API (--url), authorized by --api-key
var admin = new Command("admin", "Operators' actions (need the silo's API key: --api-key or LOCKSERVICE_API_KEY)");
var forceToken = new Option<string?>("--token") { Description = "Release holders up to this token only (default: the current holders)" };
var forceRelease = new Command("force-release", "Release a lock whoever holds it; the next grant gets a higher token") { name, forceToken };
forceRelease.SetAction((parse, ct) => AdminCommands.ForceReleaseAsync(
    parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(name)!, parse.GetValue(forceToken), parse.GetValue(json), ct));
admin.Subcommands.Add(forceRelease);

var transferGroup = new Option<int>("--group") { Description = "The group", Required = true };
var transferTo = new Option<int?>("--to") { Description = "The replica to lead (it must be caught up; default: any caught-up one)" };
var transfer = new Command("transfer", "Hand a group's leadership to another replica") { transferGroup, transferTo };
transfer.SetAction((parse, ct) => AdminCommands.TransferAsync(
    parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(transferGroup), parse.GetValue(transferTo), parse.GetValue(json), ct));
admin.Subcommands.Add(transfer);

var silo = new Argument<string>("silo") { Description = "The silo endpoint, \"address:port\" (see lockctl status)" };
var drainWait = new Option<bool>("--wait") { Description = "Wait until the silo hosts no replica" };
var drain = new Command("drain", "Move every replica off a silo (leaders hand over first); it takes none until undrained") { silo, drainWait };
drain.SetAction((parse, ct) => AdminCommands.DrainAsync(
    parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(silo)!, drain: true, parse.GetValue(drainWait), parse.GetValue(json), ct));
admin.Subcommands.Add(drain);

var undrain = new Command("undrain", "Let a drained silo take replicas again") { silo };
undrain.SetAction((parse, ct) => AdminCommands.DrainAsync(
    parse.GetValue(url)!, parse.GetValue(apiKey), parse.GetValue(silo)!, drain: false, wait: false, parse.GetValue(json), ct));
admin.Subcommands.Add(undrain);
root.Subcommands.Add(admin);

var parsed = root.Parse(args);
try
{
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e)
{
    // One line for scripts and people; the stack trace only with --verbose.
    await Console.Error.WriteLineAsync(e switch
    {
        ClusterUnreachableException => $"lockctl: {e.Message}",
        OperationCanceledException => "lockctl: cancelled",
        _ when parsed.GetValue(verbose) => $"lockctl: {e}",
        _ => $"lockctl: {e.GetType().Name}: {e.Message}",
    });
    return ExitCodes.Error;
}

static Option<TimeSpan?> DurationOption(string optionName, string description, TimeSpan? defaultValue) => new(optionName)
{
    Description = description + " (e.g. 500ms, 30s, 2m)",
    DefaultValueFactory = _ => defaultValue,
    CustomParser = result =>
    {
        var text = result.Tokens.Single().Value;
        if (Durations.TryParse(text, out var duration))
        {
            return duration;
        }

        result.AddError($"{optionName}: '{text}' is not a duration (e.g. 500ms, 30s, 2m).");
        return null;
    },
};
