using System.Diagnostics;
using NetVips;

namespace Upscaler.Cli.Tests;

/// <summary>What one run of the command line printed and returned.</summary>
internal sealed record CliResult(int ExitCode, string Output, string Error)
{
    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the command line in-process (fast) or as the real executable (exit codes, no stack traces).</summary>
internal static class Cli
{
    public static string TestModels => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestModels");

    /// <summary>A catalog holding one deliberately slow ×2 model, for cancelling mid-run on any machine.</summary>
    public static string SlowModels => Path.Combine(TestModels, "slow");

    public static string ShippedModels
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Plugins.sln")))
                    return Path.Combine(dir.FullName, "models");
            throw new InvalidOperationException("Plugins.sln not found above the test directory");
        }
    }

    public static async Task<CliResult> RunAsync(string modelsDirectory, params string[] args) =>
        await RunAsync(modelsDirectory, CancellationToken.None, args);

    /// <summary>
    /// The per-user models folder runs of this test see: never the real user's. Tests of
    /// <c>models add/remove</c> set it to their own scratch folder.
    /// </summary>
    public static string UserModels { get; set; } = Path.Combine(Path.GetTempPath(), "upscaler-cli-tests-no-user-models");

    public static async Task<CliResult> RunAsync(string modelsDirectory, CancellationToken cancellationToken, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var commandLine = new UpscalerCommandLine(output, error, interactive: false, modelsDirectory) { UserModelsDirectory = UserModels };
        int code = await commandLine.RunAsync(args, cancellationToken);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    /// <summary>The built executable, started as a user would start it.</summary>
    public static CliResult RunProcess(string modelsDirectory, string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(modelsDirectory, workingDirectory, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("upscaler did not finish within 2 minutes");
        }
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>How <see cref="RunProcess"/> starts the executable (<c>dotnet upscaler.dll</c> runs in one process).</summary>
    public static ProcessStartInfo StartInfo(string modelsDirectory, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "upscaler.dll"));
        foreach (var a in args)
            start.ArgumentList.Add(a);
        start.Environment["UPSCALER_MODELS_DIR"] = modelsDirectory;
        start.Environment[Upscaler.Core.UserModelsFolder.EnvironmentVariable] = UserModels;
        return start;
    }
}

/// <summary>Real image files, written by libvips, in a fresh folder per test.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "upscaler-cli-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A colourful test picture with smooth areas and edges.</summary>
    public static Image Picture(int width, int height, int bands = 3)
    {
        var x = Image.Xyz(width, height);
        var r = (x[0] * 4).Cast(Enums.BandFormat.Uchar);
        var g = (x[1] * 6).Cast(Enums.BandFormat.Uchar);
        var b = ((x[0] + x[1]) * 3 % 256).Cast(Enums.BandFormat.Uchar);
        var rgb = r.Bandjoin(g, b).Copy(interpretation: Enums.Interpretation.Srgb);
        if (bands == 4)
        {
            // A soft-edged disc of opacity on a transparent surround.
            var d = ((x[0] - width / 2.0).Pow(2) + (x[1] - height / 2.0).Pow(2)).Pow(0.5);
            var alpha = ((width * 0.35 - d) * 64 + 128).Cast(Enums.BandFormat.Uchar);
            return rgb.Bandjoin(alpha).Copy(interpretation: Enums.Interpretation.Srgb);
        }
        return rgb;
    }

    public string Png(string name, int width, int height, int bands = 3)
    {
        string path = File(name);
        Picture(width, height, bands).Pngsave(path);
        return path;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path))
            Directory.Delete(Path, recursive: true);
    }
}

/// <summary>Gives each test its own scratch folder of real files, removed afterwards.</summary>
public abstract class ScratchFolderTests
{
    private ScratchFolder? _dir;

    internal ScratchFolder Dir => _dir ?? throw new InvalidOperationException("no scratch folder outside a test");

    [SetUp]
    public void CreateScratchFolder() => _dir = new ScratchFolder();

    [TearDown]
    public void RemoveScratchFolder() => _dir?.Dispose();
}
