using NetVips;

namespace Upscaler.Cli.Tests;

/// <summary>--faces and --face-strength, end to end: the built executable with the models copied beside it.</summary>
[TestFixture]
public class FaceOptionTests : ScratchFolderTests
{
    private static string Photo
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Plugins.sln")))
                    return Path.Combine(dir.FullName, "tests", "FaceSet", "astronaut.jpg");
            throw new InvalidOperationException("Plugins.sln not found above the test directory");
        }
    }

    private CliResult Upscale(string output, params string[] more) =>
        Cli.RunProcess(Path.Combine(TestContext.CurrentContext.TestDirectory, "models"), Dir.Path,
            [Photo, "-o", Dir.File(output), "--scale", "2", "--denoise", "0", "--device", "cpu", .. more]);

    private static byte[] Pixels(string path)
    {
        using var image = Image.NewFromFile(path);
        return image.WriteToMemory<byte>();
    }

    [Test]
    public void Faces_auto_restores_the_face_and_off_or_strength_0_leave_the_general_result()
    {
        var auto = Upscale("auto.png");
        var off = Upscale("off.png", "--faces", "off");
        var zero = Upscale("zero.png", "--face-strength", "0");
        foreach (var run in new[] { auto, off, zero })
            Assert.That(run.ExitCode, Is.EqualTo(0), run.ToString());
        Assert.That(auto.Error, Does.Not.Contain("warning").IgnoreCase.And.Not.Contain("onnxruntime"), "no warnings from the detector or the face model");

        byte[] a = Pixels(Dir.File("auto.png")), o = Pixels(Dir.File("off.png")), z = Pixels(Dir.File("zero.png"));
        Assert.That(z, Is.EqualTo(o), "--face-strength 0 is --faces off");
        int changed = a.Zip(o).Count(p => p.First != p.Second);
        // The astronaut's face (about 105 px, 210 px at x2) is restored; the rest of the 1024x1024 image is not.
        Assert.That(changed, Is.InRange(3 * 2000, 3 * 210 * 210));
    }

    [TestCase("--faces", "on")]
    [TestCase("--face-strength", "1.5")]
    [TestCase("--face-strength", "-0.1")]
    public void Bad_face_options_are_usage_errors(string option, string value)
    {
        var run = Upscale("bad.png", option, value);
        Assert.That(run.ExitCode, Is.EqualTo(2), run.ToString());
        Assert.That(File.Exists(Dir.File("bad.png")), Is.False);
    }
}
