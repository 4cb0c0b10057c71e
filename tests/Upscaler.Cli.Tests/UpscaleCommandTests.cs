using System.Text.RegularExpressions;
using NetVips;

namespace Upscaler.Cli.Tests;

[TestFixture]
public class UpscaleCommandTests : ScratchFolderTests
{
    private Task<CliResult> Run(params string[] args) => Cli.RunAsync(Cli.TestModels, args);

    [TestCase("4", 160, 120)]
    [TestCase("3", 120, 90)]
    [TestCase("1.5", 60, 45)]
    [TestCase("8", 320, 240)]
    public async Task Writes_the_exact_size_for_the_scale(string scale, int width, int height)
    {
        string input = Dir.Png("in.png", 40, 30);
        var result = await Run(input, "-o", Dir.File("out.png"), "--scale", scale);

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        using var output = Image.NewFromFile(Dir.File("out.png"));
        Assert.That((output.Width, output.Height, output.Bands), Is.EqualTo((width, height, 3)));
        Assert.That(result.Output, Does.Contain("out.png (" + width + "x" + height));
    }

    [Test]
    public async Task Timings_give_one_line_per_image_with_its_phases_and_start_up_only_for_the_first()
    {
        string a = Dir.Png("a.png", 40, 30), b = Dir.Png("b.png", 24, 20);
        var result = await Run(a, b, "--out-dir", Dir.File("out"), "--scale", "2", "--timings");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        var lines = result.Output.Split('\n').Where(l => l.StartsWith("timings: ", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), result.ToString());
        // Automatic denoise (the default) measures each image before the engine runs.
        const string phases = @"decode [\d.]+ s, auto denoise [\d.]+ s, model load [\d.]+ s, upscale [\d.]+ s, encode [\d.]+ s, total [\d.]+ s; peak memory [\d.]+ GB$";
        Assert.That(lines[0], Does.Match($@"^timings: {Regex.Escape(a)}: start-up [\d.]+ s, {phases}"));
        Assert.That(lines[1], Does.Match($@"^timings: {Regex.Escape(b)}: {phases}"));
        // Each line follows its image's result line.
        Assert.That(result.Output.IndexOf(lines[0], StringComparison.Ordinal), Is.GreaterThan(result.Output.IndexOf("a_x2.png", StringComparison.Ordinal)));
    }

    [Test]
    public async Task Without_timings_nothing_about_them_is_printed()
    {
        var result = await Run(Dir.Png("a.png", 40, 30), "-o", Dir.File("a_x2.png"), "--scale", "2");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(result.Output + result.Error, Does.Not.Contain("timings"));
    }

    [Test]
    public async Task Keeps_alpha_and_16_bit_depth_in_png()
    {
        string input = Dir.File("deep.png");
        (ScratchFolder.Picture(32, 24, bands: 4).Cast(Enums.BandFormat.Ushort) * 257)
            .Cast(Enums.BandFormat.Ushort).Copy(interpretation: Enums.Interpretation.Rgb16).Pngsave(input);

        var result = await Run(input, "-o", Dir.File("deep_x2.png"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        using var output = Image.NewFromFile(Dir.File("deep_x2.png"));
        Assert.That((output.Width, output.Height, output.Bands, output.Format), Is.EqualTo((64, 48, 4, Enums.BandFormat.Ushort)));
        Assert.That(output[3].Max(), Is.EqualTo(65535));
        Assert.That(output[3].Min(), Is.EqualTo(0));
    }

    [Test]
    public async Task Jpeg_output_flattens_transparency_onto_white()
    {
        string input = Dir.Png("cutout.png", 40, 40, bands: 4);
        var result = await Run(input, "-o", Dir.File("cutout.jpg"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        using var output = Image.NewFromFile(Dir.File("cutout.jpg"));
        Assert.That(output.Bands, Is.EqualTo(3));
        Assert.That(output.Getpoint(1, 1), Is.All.GreaterThan(245), "a transparent corner becomes white");
    }

    [Test]
    public async Task Applies_exif_orientation_and_keeps_the_icc_profile()
    {
        // Stored 40x20 with EXIF orientation 6 (rotate 90° clockwise to display): upright it is 20x40.
        string input = Dir.File("rotated.jpg");
        var picture = ScratchFolder.Picture(40, 20).IccTransform("srgb").Mutate(m => m.Set(GValue.GIntType, "orientation", 6));
        picture.Jpegsave(input, q: 95);
        byte[] profile = (byte[])Image.NewFromFile(input).Get("icc-profile-data");

        var result = await Run(input, "-o", Dir.File("upright.png"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        using var output = Image.NewFromFile(Dir.File("upright.png"));
        Assert.That((output.Width, output.Height), Is.EqualTo((40, 80)));
        Assert.That((byte[])output.Get("icc-profile-data"), Is.EqualTo(profile));
        Assert.That(output.Contains("orientation") ? (int)output.Get("orientation") : 1, Is.EqualTo(1));
    }

    [Test]
    public async Task Cmyk_input_becomes_rgb()
    {
        string input = Dir.File("print.jpg");
        ScratchFolder.Picture(30, 20).IccTransform("cmyk").Jpegsave(input);

        var result = await Run(input, "-o", Dir.File("print.png"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        using var output = Image.NewFromFile(Dir.File("print.png"));
        Assert.That((output.Width, output.Height, output.Bands), Is.EqualTo((60, 40, 3)));
    }

    [TestCase("webp")]
    [TestCase("tiff")]
    [TestCase("jpg")]
    [TestCase("png")]
    public async Task Writes_every_output_format(string format)
    {
        string input = Dir.Png("photo.png", 24, 16);
        var result = await Run(input, "--format", format, "--scale", "2", "--quality", "80");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        string expected = Dir.File("photo_x2." + (format == "tiff" ? "tif" : format));
        using var output = Image.NewFromFile(expected);
        Assert.That((output.Width, output.Height), Is.EqualTo((48, 32)));
    }

    [Test]
    public async Task A_folder_is_a_batch_into_the_out_dir()
    {
        Directory.CreateDirectory(Dir.File("photos"));
        Dir.Png("photos/a.png", 16, 16);
        Dir.Png("photos/b.png", 20, 10);
        System.IO.File.WriteAllText(Dir.File("photos/notes.txt"), "not an image");

        var result = await Run(Dir.File("photos"), "--out-dir", Dir.File("big"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(Directory.GetFiles(Dir.File("big")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "a_x2.png", "b_x2.png" }));
    }

    [Test]
    public async Task A_bad_input_in_a_batch_fails_alone_and_the_exit_code_says_so()
    {
        string good1 = Dir.Png("good1.png", 16, 16), good2 = Dir.Png("good2.png", 16, 16);
        System.IO.File.WriteAllText(Dir.File("bad.png"), "no pixels here");

        var result = await Run(good1, Dir.File("bad.png"), good2, "--out-dir", Dir.File("out"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(1), result.ToString());
        Assert.That(System.IO.File.Exists(Dir.File("out/good1_x2.png")), Is.True);
        Assert.That(System.IO.File.Exists(Dir.File("out/good2_x2.png")), Is.True);
        Assert.That(result.Error, Does.Contain("bad.png: not a supported image file"));
    }

    [Test]
    public async Task An_existing_output_is_never_replaced_without_overwrite()
    {
        string input = Dir.Png("in.png", 16, 16);
        System.IO.File.WriteAllText(Dir.File("out.png"), "precious");

        var refused = await Run(input, "-o", Dir.File("out.png"), "--scale", "2");
        Assert.That(refused.ExitCode, Is.EqualTo(1));
        Assert.That(refused.Error, Does.Contain("already exists"));
        Assert.That(System.IO.File.ReadAllText(Dir.File("out.png")), Is.EqualTo("precious"));

        var replaced = await Run(input, "-o", Dir.File("out.png"), "--scale", "2", "--overwrite");
        Assert.That(replaced.ExitCode, Is.EqualTo(0), replaced.ToString());
        using var output = Image.NewFromFile(Dir.File("out.png"));
        Assert.That(output.Width, Is.EqualTo(32));
    }

    [Test]
    public async Task Two_inputs_with_the_same_output_name_do_not_overwrite_each_other()
    {
        Dir.Png("same.png", 16, 16);
        ScratchFolder.Picture(16, 16).Jpegsave(Dir.File("same.jpg"));
        var result = await Run(Dir.File("same.png"), Dir.File("same.jpg"), "--format", "png", "--out-dir", Dir.File("o"), "--scale", "2");

        Assert.That(result.ExitCode, Is.EqualTo(1));
        Assert.That(result.Error, Does.Contain("already written by an earlier input"));
    }

    [Test]
    public async Task Cancelling_leaves_no_partial_or_temporary_file()
    {
        string input = Dir.Png("big.png", 600, 600);
        using var cts = new CancellationTokenSource();
        cts.CancelAfter(50);

        // The slow model takes seconds even on a many-core machine, so the run is certainly still going.
        var result = await Cli.RunAsync(Cli.SlowModels, cts.Token, input, "-o", Dir.File("out.png"), "--scale", "2", "--tile", "128");

        Assert.That(result.ExitCode, Is.EqualTo(130), result.ToString());
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "big.png" }));
    }

    [Test]
    public async Task A_successful_run_leaves_only_its_output()
    {
        string input = Dir.Png("in.png", 16, 16);
        await Run(input, "-o", Dir.File("out.webp"), "--scale", "2");
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "in.png", "out.webp" }));
    }

    [Test]
    public async Task Lists_the_models()
    {
        var result = await Run("models");
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Output, Does.Contain("test-x2").And.Contain("test-x4").And.Contain("general"));
    }

    [Test]
    public async Task Help_has_examples()
    {
        var result = await Run("--help");
        Assert.That(result.ExitCode, Is.EqualTo(0));
        Assert.That(result.Output, Does.Contain("Examples:").And.Contain("--denoise").And.Contain("--out-dir"));
    }
}
