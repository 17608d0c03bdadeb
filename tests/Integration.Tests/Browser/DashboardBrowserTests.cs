using LockService.Client;
using LockService.Integration.Tests.Client;
using LockService.Integration.Tests.Infrastructure;
using LockService.Integration.Tests.MultiProcess;
using LockService.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace LockService.Integration.Tests.Browser;

/// <summary>
/// A user's path through the web pages in a real headless Chromium against three silo processes: the dashboard links
/// to the lease pages; its Grain Details shows the leader replica's state with the held lock and its token; the lease
/// pages list the lock and link to its page (a name with '/'), which shows the token. Screenshots are saved under the
/// test results folder and attached to the test.
/// </summary>
[Collection(nameof(MultiProcessCollection))]
public sealed class DashboardBrowserTests(AzuriteFixture azurite)
{
    private const string LockName = "orders/42";

    [Fact(Timeout = 360_000)]
    public async Task A_held_lock_and_its_token_show_in_the_dashboard_and_on_the_lease_pages()
    {
        var ct = TestContext.Current.CancellationToken;
        var chromium = InstalledChromium.Find();
        Assert.SkipWhen(chromium is null, "No Chromium found (set LOCKSERVICE_CHROMIUM, or apt-get install chromium as .ci/run does).");

        await using var cluster = await SiloProcessCluster.StartAsync(new SiloProcessOptions { StorageConnectionString = azurite.ConnectionString, StartTimeout = TimeSpan.FromSeconds(150) }, ct);
        using var client = await ClusterClientHost.StartAsync(cluster, services => services.AddLockClient(o => o.SessionTtl = TimeSpan.FromSeconds(10)), cancellationToken: ct);
        var locks = client.Services.GetRequiredService<ILockClient>();
        var probe = new ReplicaProbe(client.Services.GetRequiredService<IClusterClient>());
        await probe.WaitForLeaderAsync(timeout: TimeSpan.FromSeconds(60), cancellationToken: ct);
        await using var handle = await locks.AcquireAsync(LockName, TimeSpan.FromSeconds(10), cancellationToken: ct);
        var token = handle.Token.ToString();
        var leader = (await probe.WaitForLeaderAsync(cancellationToken: ct)).ReplicaKey;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        page.SetDefaultTimeout(30_000);
        var site = $"http://127.0.0.1:{cluster.Silos[0].HttpPort}";
        var shots = InstalledChromium.ScreenshotFolder();

        try
        {
            await WalkThroughAsync(page, site, shots, leader, token);
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            await ShotAsync(page, shots, "failure");
            var text = await page.InnerTextAsync("body");
            throw new InvalidOperationException($"{e.Message}\nat {page.Url}, the page reads:\n{text[..Math.Min(text.Length, 4000)]}", e);
        }

        await locks.DisposeAsync();
        await client.StopAsync(CancellationToken.None);
    }

    private static async Task WalkThroughAsync(IPage page, string site, string shots, string leader, string token)
    {
        // The dashboard's start page carries the link to the lease pages.
        await page.GotoAsync(site + "/dashboard/");
        await page.Locator("#lockservice-links a[href='/leases']").WaitForAsync();
        await ShotAsync(page, shots, "1-dashboard");

        // Grain Details: the leader replica's GetState holds the lock with its token.
        await page.GotoAsync(site + "/dashboard/#/grainDetails");
        var grainType = page.Locator("select");
        await grainType.Locator("option[value='LockService.Hosting.ReplicaGrain']").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Attached });
        await grainType.SelectOptionAsync("LockService.Hosting.ReplicaGrain");
        await page.GetByPlaceholder("Grain Id").FillAsync(leader);
        await page.Locator("input[value='Show Details']").ClickAsync();
        await page.GetByText(token).First.WaitForAsync();
        await page.GetByText(LockName).First.WaitForAsync();
        await ShotAsync(page, shots, "2-grain-details");

        // The lease pages: the lock is listed, links to its page (with the '/'), which shows the token.
        await page.GotoAsync(site + "/leases");
        var link = page.Locator("a[href='/leases/locks/orders/42']");
        await link.WaitForAsync();
        Assert.True(await page.Locator("a.grain-details").CountAsync() >= 3, "each replica links to the dashboard's Grain Details");
        await ShotAsync(page, shots, "3-leases");
        await link.ClickAsync();
        await page.WaitForURLAsync("**/leases/locks/orders/42");
        await page.GetByText(token).First.WaitForAsync();
        Assert.Contains("Lock orders/42", await page.TitleAsync());
        await ShotAsync(page, shots, "4-lock-page");
    }

    private static async Task ShotAsync(IPage page, string folder, string name)
    {
        var path = Path.Combine(folder, name + ".png");
        var png = await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.Current.AddAttachment(name + ".png", png, "image/png");
    }
}
