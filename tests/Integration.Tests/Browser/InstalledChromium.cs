namespace LockService.Integration.Tests.Browser;

/// <summary>Where the headless browser is: LOCKSERVICE_CHROMIUM, or the Debian package's chromium (.ci/run installs it).</summary>
internal static class InstalledChromium
{
    private static readonly string[] Candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium"];

    public static string? Find() =>
        Environment.GetEnvironmentVariable("LOCKSERVICE_CHROMIUM") is { Length: > 0 } configured && File.Exists(configured)
            ? configured
            : Candidates.FirstOrDefault(File.Exists);

    /// <summary>Screenshots go under the test results folder, one folder per run.</summary>
    public static string ScreenshotFolder()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture));
        System.IO.Directory.CreateDirectory(folder);
        return folder;
    }
}
