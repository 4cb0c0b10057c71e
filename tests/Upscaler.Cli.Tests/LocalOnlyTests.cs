using System.Diagnostics;

namespace Upscaler.Cli.Tests;

/// <summary>We promise local computation: a run leaves nothing but its output behind, anywhere.</summary>
[TestFixture]
public class LocalOnlyTests : ScratchFolderTests
{
    [Test]
    public void A_run_writes_nothing_outside_its_output()
    {
        // ONNX Runtime's telemetry kept ~/.cache/Microsoft/DeveloperTools/.onnxruntime/{onnxruntime.db,deviceid}.
        Dir.Png("in.png", 24, 24);
        string home = Dir.File("home"), temp = Dir.File("tmp"), work = Dir.File("work");
        foreach (var d in new[] { home, temp, work })
            Directory.CreateDirectory(d);
        File.Move(Dir.File("in.png"), Path.Combine(work, "in.png"));

        var start = Cli.StartInfo(Cli.TestModels, work, "in.png", "--scale", "2");
        start.Environment["HOME"] = home;
        start.Environment["XDG_CACHE_HOME"] = Path.Combine(home, ".cache");
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share");
        start.Environment["TMPDIR"] = temp;
        start.Environment.Remove("ORT_DISABLE_TELEMETRY");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(120_000), Is.True, "upscaler did not finish within 2 minutes");

        Assert.That(process.ExitCode, Is.EqualTo(0), stderr);
        Assert.That(stderr, Does.Not.Contain("elemetry"));
        Assert.That(Directory.GetFileSystemEntries(home, "*", SearchOption.AllDirectories), Is.Empty, "nothing in HOME or the XDG folders");
        Assert.That(Directory.GetFileSystemEntries(temp, "*", SearchOption.AllDirectories), Is.Empty, "nothing left in TMPDIR");
        Assert.That(Directory.GetFileSystemEntries(work).Select(Path.GetFileName).Order(StringComparer.Ordinal), Is.EqualTo(new[] { "in.png", "in_x2.png" }), stdout.Result);
    }
}
