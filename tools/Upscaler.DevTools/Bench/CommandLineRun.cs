using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Upscaler.DevTools.Bench;

/// <summary>
/// The real <c>upscaler</c> command line, started as a process on one image with <c>--timings</c>: the
/// wall time seen from outside, and the phases the command prints (start-up, decode, model load,
/// upscale, encode, peak memory). What a user waits for, end to end.
/// </summary>
internal static partial class CommandLineRun
{
    public sealed record Result(double WallSeconds, IReadOnlyDictionary<string, double> Phases, double PeakGigabytes, string Output);

    [GeneratedRegex(@"^timings: .*$", RegexOptions.Multiline)]
    private static partial Regex TimingsLine();

    [GeneratedRegex(@"([a-z][a-z -]*[a-z]) ([\d.]+) (s|GB)")]
    private static partial Regex Phase();

    /// <summary>The command line built beside this tool: its apphost where there is one, else <c>dotnet upscaler.dll</c>.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        string apphost = Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "upscaler.exe" : "upscaler");
        var start = File.Exists(apphost) ? new ProcessStartInfo(apphost) : new ProcessStartInfo("dotnet");
        if (!File.Exists(apphost))
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "upscaler.dll"));
        foreach (string a in args)
            start.ArgumentList.Add(a);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        return start;
    }

    /// <param name="userModels">The models folder the run sees as the user's (an empty one keeps the real user's models out).</param>
    public static async Task<Result> RunAsync(string input, string output, string userModels, string[] extra, CancellationToken cancellationToken)
    {
        var start = StartInfo(["--timings", "--overwrite", "--device", "cpu", .. extra, input, "-o", output]);
        start.Environment[Core.UserModelsFolder.EnvironmentVariable] = userModels;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new BenchmarkException("could not start the upscaler command line");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        double wall = clock.Elapsed.TotalSeconds;
        if (process.ExitCode != 0)
            throw new BenchmarkException($"upscaler exited with {process.ExitCode}: {(await stderr).Trim().Split('\n').LastOrDefault()}");
        string text = await stdout;
        var line = TimingsLine().Match(text);
        if (!line.Success)
            throw new BenchmarkException("upscaler --timings printed no timings line");
        var phases = new Dictionary<string, double>();
        double peak = 0;
        foreach (Match m in Phase().Matches(line.Value))
        {
            double value = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            if (m.Groups[3].Value == "GB")
                peak = value;
            else
                phases[m.Groups[1].Value] = value;
        }
        return new Result(wall, phases, peak, text.Trim());
    }
}
