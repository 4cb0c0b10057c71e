namespace Upscaler.Cli.Tests;

/// <summary>Every kind of bad input gets one clear line, a non-zero exit, and nothing written.</summary>
[TestFixture]
public class BadInputTests : ScratchFolderTests
{
    private static void AssertOneLineError(CliResult result, int exitCode, string contains)
    {
        Assert.That(result.ExitCode, Is.EqualTo(exitCode), result.ToString());
        var errors = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("upscaler: error:")).ToList();
        Assert.That(errors, Has.Count.EqualTo(1), result.ToString());
        Assert.That(errors[0], Does.Contain(contains));
        Assert.That(result.Error, Does.Not.Contain("   at "), "no stack trace");
    }

    private async Task<CliResult> Upscale(string input, params string[] more) =>
        await Cli.RunAsync(Cli.TestModels, [input, "-o", Dir.File("out.png"), .. more]);

    [Test]
    public async Task Missing_file() =>
        AssertOneLineError(await Upscale(Dir.File("nope.png")), 1, "no such file");

    [Test]
    public async Task Not_an_image()
    {
        System.IO.File.WriteAllText(Dir.File("text.png"), "just words");
        AssertOneLineError(await Upscale(Dir.File("text.png")), 1, "not a supported image file");
    }

    [Test]
    public async Task Truncated_file()
    {
        string whole = Dir.Png("whole.png", 64, 64);
        byte[] bytes = System.IO.File.ReadAllBytes(whole);
        System.IO.File.WriteAllBytes(Dir.File("cut.png"), bytes[..(bytes.Length / 2)]);
        AssertOneLineError(await Upscale(Dir.File("cut.png")), 1, "truncated or corrupt");
    }

    [Test]
    public async Task Zero_size_file()
    {
        System.IO.File.WriteAllBytes(Dir.File("empty.png"), []);
        AssertOneLineError(await Upscale(Dir.File("empty.png")), 1, "the file is empty");
    }

    [Test]
    public async Task Unsupported_format()
    {
        // A real image in a format libvips has no loader for here (Windows icon / legacy formats).
        System.IO.File.WriteAllBytes(Dir.File("icon.ico"), [0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0, 0, 0, 0, 0, 22, 0, 0, 0]);
        AssertOneLineError(await Upscale(Dir.File("icon.ico")), 1, "not a supported image file");
    }

    [Test]
    public async Task Output_beyond_the_size_limit()
    {
        string wide = Dir.Png("wide.png", 9000, 4);
        AssertOneLineError(await Upscale(wide, "--scale", "8"), 1, "over the limit of 65535 px per side");
        Assert.That(System.IO.File.Exists(Dir.File("out.png")), Is.False);
    }

    [Test]
    public async Task Output_beyond_a_format_limit()
    {
        string wide = Dir.Png("wide.png", 3000, 4);
        var result = await Cli.RunAsync(Cli.TestModels, wide, "-o", Dir.File("out.webp"), "--scale", "8");
        AssertOneLineError(result, 1, "too large for Webp");
    }

    [TestCase("--scale", "9", "scale 9 is out of range")]
    [TestCase("--scale", "0.5", "scale 0.5 is out of range")]
    [TestCase("--scale", "big", "big")]
    [TestCase("--denoise", "1.5", "denoise 1.5 is out of range")]
    [TestCase("--tile", "5", "tile size 5 is out of range")]
    [TestCase("--quality", "0", "quality 0 is out of range")]
    [TestCase("--model", "anime", "no anime model is installed")]
    [TestCase("--model", "cartoon", "unknown model \"cartoon\"")]
    [TestCase("--device", "tpu", "tpu")]
    [TestCase("--format", "bmp", "bmp")]
    public async Task Option_values_out_of_range_are_usage_errors(string option, string value, string message)
    {
        string input = Dir.Png("in.png", 8, 8);
        AssertOneLineError(await Upscale(input, option, value), 2, message);
        Assert.That(System.IO.File.Exists(Dir.File("out.png")), Is.False);
    }

    [Test]
    public async Task Output_option_with_several_inputs_is_a_usage_error()
    {
        string a = Dir.Png("a.png", 8, 8), b = Dir.Png("b.png", 8, 8);
        AssertOneLineError(await Cli.RunAsync(Cli.TestModels, a, b, "-o", Dir.File("x.png")), 2, "single input");
    }

    [Test]
    public async Task Unknown_output_extension_is_a_usage_error()
    {
        string a = Dir.Png("a.png", 8, 8);
        AssertOneLineError(await Cli.RunAsync(Cli.TestModels, a, "-o", Dir.File("x.bmp")), 2, "cannot tell the output format");
    }

    [Test]
    public async Task A_model_kind_that_is_not_installed_is_named()
    {
        string a = Dir.Png("a.png", 8, 8);
        AssertOneLineError(await Upscale(a, "--model", "face"), 2, "no face model is installed");
    }

    [Test]
    public async Task A_missing_model_catalog_is_named()
    {
        string a = Dir.Png("a.png", 8, 8);
        var result = await Cli.RunAsync(Dir.File("no-models-here"), a, "-o", Dir.File("out.png"));
        AssertOneLineError(result, 1, "model catalog not found");
    }
    [Test]
    public async Task A_mistyped_option_is_a_usage_error_and_nothing_is_processed()
    {
        string input = Dir.Png("in.png", 8, 8);
        var result = await Cli.RunAsync(Cli.TestModels, input, "--scale", "2", "--denoize", "0.3");
        AssertOneLineError(result, 2, "unknown option \"--denoize\"");
        Assert.That(result.Error, Does.Contain("did you mean --denoise?"));
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "in.png" }), "nothing processed");
    }

    [TestCase("-x")]
    [TestCase("--xyz")]
    public async Task An_unknown_option_with_no_close_match_is_named(string option)
    {
        string input = Dir.Png("in.png", 8, 8);
        var result = await Cli.RunAsync(Cli.TestModels, input, option);
        AssertOneLineError(result, 2, $"unknown option \"{option}\"");
        Assert.That(result.Error, Does.Not.Contain("did you mean"));
        Assert.That(Directory.GetFiles(Dir.Path).Select(Path.GetFileName), Is.EqualTo(new[] { "in.png" }));
    }

    [Test]
    public void A_file_whose_name_starts_with_a_dash_is_still_an_input()
    {
        // An existing file is taken as it is, and after "--" anything is an input.
        Dir.Png("-zebra.png", 8, 8);
        Dir.Png("--double.png", 8, 8);
        var result = Cli.RunProcess(Cli.TestModels, Dir.Path, "-zebra.png", "--scale", "2", "--", "--double.png");
        Assert.That(result.ExitCode, Is.EqualTo(0), result.ToString());
        Assert.That(File.Exists(Dir.File("-zebra_x2.png")) && File.Exists(Dir.File("--double_x2.png")), Is.True);
    }

    [Test]
    public async Task After_a_double_dash_a_missing_dashed_name_is_a_missing_file()
    {
        string input = Dir.Png("in.png", 8, 8);
        var result = await Cli.RunAsync(Cli.TestModels, input, "--scale", "2", "--out-dir", Dir.File("o"), "--", "--nope.png");
        AssertOneLineError(result, 1, "no such file");
        Assert.That(File.Exists(Dir.File("o/in_x2.png")), Is.True);
    }
}
