using System.Diagnostics;
using System.Runtime.InteropServices;
using NetVips;

namespace Upscaler.Cli.Tests;

/// <summary>Ctrl+C as a terminal sends it: a real SIGINT to the real executable.</summary>
[TestFixture]
[Platform(Include = "Linux")]
public class InterruptTests : ScratchFolderTests
{
    private const int SigInt = 2;

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [Test]
    public void Ctrl_C_while_the_output_is_written_removes_it_prints_one_line_and_exits_130()
    {
        // Noise compresses slowly: a 6000x6000 deflate TIFF takes seconds to write, which is when the
        // signal arrives (right after the last tile, the point where writing starts).
        using (var noise = Image.Gaussnoise(1500, 1500, sigma: 60, mean: 128).Cast(Enums.BandFormat.Uchar))
        using (var rgb = noise.Bandjoin(noise.Rot180(), noise.Flip(Enums.Direction.Horizontal)).Copy(interpretation: Enums.Interpretation.Srgb))
            rgb.Pngsave(Dir.File("in.png"));

        using var process = Process.Start(Cli.StartInfo(Cli.TestModels, Dir.Path, "in.png", "-o", "out.tif", "--scale", "4"))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new List<string>();
        while (process.StandardError.ReadLine() is { } line)
        {
            stderr.Add(line);
            if (line.Contains("100%"))
                break;
        }
        Assert.That(kill(process.Id, SigInt), Is.EqualTo(0), "could not send SIGINT");
        string rest = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("upscaler did not end within a minute of Ctrl+C");
        }

        string report = $"exit {process.ExitCode}\nstdout:\n{stdout.Result}\nstderr:\n{string.Join('\n', stderr)}\n{rest}";
        Assert.That(process.ExitCode, Is.EqualTo(130), report);
        Assert.That(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "upscaler: error: cancelled; the file being written was removed" }), report);
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "in.png" }), report);
    }
    [Test]
    public void A_temporary_file_left_by_a_killed_run_is_swept_by_the_next_run_beside_the_same_target()
    {
        // 144 tiles of the slow model: far more than a fast machine finishes between the first progress
        // line and the kill.
        Dir.Png("in.png", 1536, 1536);
        using (var killed = Process.Start(Cli.StartInfo(Cli.SlowModels, Dir.Path, "in.png", "-o", "out.png", "--scale", "2", "--tile", "128"))!)
        {
            // The temporary file exists from the start; the first progress line means the upscale runs
            // (notices, e.g. that this model has no denoise control, come before it).
            string? line;
            do
                line = killed.StandardError.ReadLine();
            while (line is not null && !line.Contains("tiles)"));
            Assert.That(line, Is.Not.Null, "no progress line");
            killed.Kill();
            killed.WaitForExit();
        }
        var left = Directory.GetFiles(Dir.Path, ".out.png.*.partial");
        Assert.That(left, Has.Length.EqualTo(1), "a killed run leaves its temporary file");

        // A live writer's file (this test process is alive) must survive the sweep.
        string live = Dir.File($".out.png.{Environment.ProcessId}@{Host}.{Guid.NewGuid():N}.partial");
        File.WriteAllText(live, "still being written");

        var result = Cli.RunProcess(Cli.TestModels, Dir.Path, "in.png", "-o", "out.png", "--scale", "2");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { Path.GetFileName(live), "in.png", "out.png" }));
    }

    private static string Host => new(Environment.MachineName.Where(c => char.IsAsciiLetterOrDigit(c) || c == '-').ToArray());
}
