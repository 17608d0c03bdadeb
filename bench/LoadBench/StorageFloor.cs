using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using LockService.Testing;

namespace LockService.LoadBench;

/// <summary>
/// The storage floor: what one Azure Table entity-group transaction costs on Azurite, with 1 row and with N rows,
/// written the way a replica writes (new row keys each time plus the replace of one "meta" row under its ETag), and
/// the same with three writers at once (a commit is the leader's write in parallel with the followers'). A commit
/// latency is best read as a multiple of these figures.
/// </summary>
internal static class StorageFloor
{
    // (rows per transaction, entries packed per row): one row per entry as before, and a batch of 64 packed into one row.
    private static readonly (int Rows, int EntriesPerRow)[] Cells = [(1, 1), (8, 1), (64, 1), (100, 1), (2, 64)];
    private const int EntryBytes = 96; // about one encoded Acquire/Release entry

    public static async Task<int> RunAsync(string azurite, string outDirectory, int iterations, CancellationToken cancellationToken)
    {
        System.IO.Directory.CreateDirectory(outDirectory);
        var data = azurite == "memory" ? "memory" : Path.Combine(outDirectory, "azurite");
        var (pid, connection) = await AzuriteScript.StartAsync(data, cancellationToken);
        try
        {
            var service = new TableServiceClient(connection);
            var md = new StringBuilder();
            md.AppendLine(CultureInfo.InvariantCulture, $"Storage floor: Azurite ({azurite}), {iterations} transactions per cell, {EntryBytes}-byte rows; load average {LoadAverage()}");
            md.AppendLine();
            md.AppendLine("| writers | rows per transaction (incl. meta) | entries per row | p50 ms | p99 ms | mean ms |");
            md.AppendLine("|---:|---:|---:|---:|---:|---:|");
            foreach (var writers in new[] { 1, 3 })
            {
                foreach (var (rows, entriesPerRow) in Cells)
                {
                    var tables = new TableClient[writers];
                    for (var w = 0; w < writers; w++)
                    {
                        tables[w] = service.GetTableClient($"floor{writers}w{rows}r{entriesPerRow}e{w}");
                        await tables[w].CreateIfNotExistsAsync(cancellationToken);
                    }

                    var latencies = (await Task.WhenAll(tables.Select(t => MeasureAsync(t, rows, entriesPerRow, iterations, cancellationToken)))).SelectMany(l => l).Order().ToArray();
                    md.AppendLine(CultureInfo.InvariantCulture,
                        $"| {writers} | {rows} | {entriesPerRow} | {Rank(latencies, 0.50):0.00} | {Rank(latencies, 0.99):0.00} | {latencies.Average():0.00} |");
                }
            }

            Console.Write(md);
            await File.WriteAllTextAsync(Path.Combine(outDirectory, "storage-floor.md"), md.ToString(), CancellationToken.None);
            return 0;
        }
        finally
        {
            await AzuriteScript.StopAsync(pid);
        }
    }

    /// <summary>Latencies (ms) of transactions of <paramref name="rows"/> rows: rows - 1 new entry rows (each holding entriesPerRow entries) plus the meta row's replace.</summary>
    private static async Task<List<double>> MeasureAsync(TableClient table, int rows, int entriesPerRow, int iterations, CancellationToken cancellationToken)
    {
        var payload = new byte[EntryBytes * entriesPerRow];
        Random.Shared.NextBytes(payload);
        var meta = new TableEntity("p", "meta") { ["LastIndex"] = 0L };
        var etag = (await table.AddEntityAsync(meta, cancellationToken)).Headers.ETag!.Value;
        var next = 0L;
        var latencies = new List<double>(iterations);
        const int Warmup = 10;
        for (var i = 0; i < iterations + Warmup; i++)
        {
            var actions = new List<TableTransactionAction>(rows);
            for (var r = 0; r < rows - 1; r++)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace,
                    new TableEntity("p", "e" + (next++).ToString("D19", CultureInfo.InvariantCulture)) { ["D0"] = payload }));
            }

            meta["LastIndex"] = next;
            actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, meta, etag));
            var started = Stopwatch.GetTimestamp();
            var response = await table.SubmitTransactionAsync(actions, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            etag = response.Value[^1].Headers.ETag!.Value;
            if (i >= Warmup)
            {
                latencies.Add(elapsed);
            }
        }

        return latencies;
    }

    private static double Rank(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
