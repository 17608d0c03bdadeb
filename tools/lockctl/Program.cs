using System.CommandLine;
using LockService.Cli;

// lockctl: acquire a lock (hold it, or run a command under it), describe a lock, check a token, list groups and
// locks. Exit codes: 0 done, 1 error, 3 the lock was lost while held, 4 not acquired in time.
var storage = new Option<string>("--storage")
{
    Description = "Azure Storage connection string of the cluster (env LOCKSERVICE_STORAGE)",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("LOCKSERVICE_STORAGE") ?? "UseDevelopmentStorage=true",
    Recursive = true,
};
var clusterId = new Option<string>("--cluster-id") { Description = "Orleans ClusterId", DefaultValueFactory = _ => "lockservice-dev", Recursive = true };
var serviceId = new Option<string>("--service-id") { Description = "Orleans ServiceId", DefaultValueFactory = _ => "lockservice", Recursive = true };
var url = new Option<Uri>("--url") { Description = "A silo's HTTP address, for groups and list", DefaultValueFactory = _ => new Uri("http://127.0.0.1:8080"), Recursive = true };
var verbose = new Option<bool>("--verbose") { Description = "Log Orleans' own messages too", Recursive = true };

var root = new RootCommand("lockctl: the LockService command line") { storage, clusterId, serviceId, url, verbose };
Connection ConnectionOf(ParseResult parse, TimeSpan? ttl = null) => new(
    parse.GetValue(storage)!, parse.GetValue(clusterId)!, parse.GetValue(serviceId)!, ttl ?? TimeSpan.FromSeconds(10), parse.GetValue(verbose));

var name = new Argument<string>("name") { Description = "The lock's name" };

// acquire
var timeout = DurationOption("--timeout", "How long to wait for the lock (FIFO); 0 tries once", TimeSpan.FromSeconds(30));
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
    parse.GetValue(shared), parse.GetValue(command) ?? [], ct));
root.Subcommands.Add(acquire);

// describe
var json = new Option<bool>("--json") { Description = "Print JSON" };
var describe = new Command("describe", "Show a lock's holders (with tokens) and waiters") { name, json };
describe.SetAction((parse, ct) => Commands.DescribeAsync(ConnectionOf(parse), parse.GetValue(name)!, parse.GetValue(json), ct));
root.Subcommands.Add(describe);

// is-current
var token = new Argument<string>("token") { Description = "A fencing token, \"{term}.{index}\"" };
var isCurrent = new Command("is-current", "Exit 0 when the token is the lock's current grant, 5 otherwise") { name, token };
isCurrent.SetAction((parse, ct) => Commands.IsCurrentAsync(ConnectionOf(parse), parse.GetValue(name)!, parse.GetValue(token)!, ct));
root.Subcommands.Add(isCurrent);

// groups and list (through a silo's JSON API)
var groups = new Command("groups", "Each group's leader, term and replicas (from a silo's /api/groups)");
groups.SetAction((parse, ct) => Commands.GetJsonAsync(parse.GetValue(url)!, "/api/groups", ct));
root.Subcommands.Add(groups);

var group = new Option<int>("--group") { Description = "The group", DefaultValueFactory = _ => 0 };
var prefix = new Option<string>("--prefix") { Description = "Only names that start with this", DefaultValueFactory = _ => "" };
var list = new Command("list", "Locks of a group, in name order (from a silo's /api/groups/{g}/locks)") { group, prefix };
list.SetAction((parse, ct) => Commands.GetJsonAsync(
    parse.GetValue(url)!, $"/api/groups/{parse.GetValue(group)}/locks?prefix={Uri.EscapeDataString(parse.GetValue(prefix)!)}", ct));
root.Subcommands.Add(list);

return await root.Parse(args).InvokeAsync();

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
