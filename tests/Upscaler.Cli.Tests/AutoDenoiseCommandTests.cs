using System.Globalization;
using System.Text.RegularExpressions;
using NetVips;

namespace Upscaler.Cli.Tests;

/// <summary>
/// <c>--denoise auto</c> (the default) end to end: the command line measures each real file, says what it
/// chose, and upscales with exactly that strength; a number overrides it; models without a denoise
/// control get a notice instead.
/// </summary>
[TestFixture]
public class AutoDenoiseCommandTests : ScratchFolderTests
{
    private static readonly Regex AutoLine = new(@"denoise auto → (?<strength>[0-9.]+) \(noise (?<noise>[0-9.]+), (?<compression>[^)]+)\)");

    private Task<CliResult> Run(params string[] args) => Cli.RunAsync(Cli.TestModels, args);

    /// <summary>The sample photo saved as a JPEG of this quality by libvips.</summary>
    private string CoffeeJpeg(string name, int quality)
    {
        string path = Dir.File(name);
        using var coffee = Image.NewFromFile(Samples.Coffee);
        coffee.Jpegsave(path, q: quality);
        return path;
    }

    [Test]
    public async Task Auto_is_the_default_reads_the_jpeg_quality_and_upscales_with_the_strength_it_prints()
    {
        string input = CoffeeJpeg("coffee.jpg", 35);

        var auto = await Run(input, "-o", Dir.File("auto.png"), "--scale", "2");

        Assert.That(auto.ExitCode, Is.Zero, auto.ToString());
        var line = AutoLine.Match(auto.Output);
        Assert.That(line.Success, Is.True, auto.ToString());
        Assert.That(auto.Output, Does.StartWith($"{input}: denoise auto → "));
        Assert.That(line.Groups["compression"].Value, Is.EqualTo("JPEG q35"));
        double strength = double.Parse(line.Groups["strength"].Value, CultureInfo.InvariantCulture);
        Assert.That(strength, Is.GreaterThanOrEqualTo(0.8), "a quality-35 JPEG needs strong denoise");

        // The strength it printed is the one it used: the same run with that number gives the same pixels.
        var fixedRun = await Run(input, "-o", Dir.File("fixed.png"), "--scale", "2", "--denoise", line.Groups["strength"].Value);
        var zero = await Run(input, "-o", Dir.File("zero.png"), "--scale", "2", "--denoise", "0");
        Assert.That(fixedRun.ExitCode + zero.ExitCode, Is.Zero, fixedRun + "\n" + zero);
        Assert.That(fixedRun.Output, Does.Not.Contain("denoise auto"), "an explicit number overrides auto");
        Assert.That(MaxDifference("auto.png", "fixed.png"), Is.Zero);
        Assert.That(MaxDifference("auto.png", "zero.png"), Is.GreaterThan(0), "the strength reaches the model");
    }

    [Test]
    public async Task A_clean_png_gets_no_denoise_and_is_judged_by_its_pixels()
    {
        string input = Dir.File("coffee.png");
        File.Copy(Samples.Coffee, input);

        var result = await Run(input, "-o", Dir.File("out.png"), "--scale", "2", "--denoise", "auto");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var line = AutoLine.Match(result.Output);
        Assert.That(line.Success, Is.True, result.ToString());
        Assert.That(line.Groups["strength"].Value, Is.EqualTo("0"));
        Assert.That(line.Groups["compression"].Value, Does.Match(@"^blockiness 0\.\d\d$"));
    }

    [Test]
    public async Task Each_image_of_a_batch_gets_its_own_strength()
    {
        Directory.CreateDirectory(Dir.File("in"));
        File.Copy(Samples.Coffee, Dir.File("in/a-clean.png"));
        CoffeeJpeg("in/b-blocky.jpg", 30);

        var result = await Run(Dir.File("in"), "--out-dir", Dir.File("out"), "--scale", "2");

        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var lines = AutoLine.Matches(result.Output).Select(m => double.Parse(m.Groups["strength"].Value, CultureInfo.InvariantCulture)).ToList();
        Assert.That(lines, Has.Count.EqualTo(2), result.ToString());
        Assert.That(lines[0], Is.Zero, result.ToString());
        Assert.That(lines[1], Is.GreaterThanOrEqualTo(0.8), result.ToString());
    }

    [Test]
    public async Task A_model_without_a_denoise_control_gets_a_notice_and_nothing_is_measured()
    {
        string input = CoffeeJpeg("coffee.jpg", 40);
        string foreign = Path.Combine(Cli.TestModels, "foreign");

        var auto = await Cli.RunAsync(foreign, input, "-o", Dir.File("auto.png"), "--scale", "2", "--model", "bgr255-x2");
        var given = await Cli.RunAsync(foreign, input, "-o", Dir.File("given.png"), "--scale", "2", "--model", "bgr255-x2", "--denoise", "0.7");

        Assert.That(auto.ExitCode + given.ExitCode, Is.Zero, auto + "\n" + given);
        Assert.That(auto.Error, Does.Contain("notice: bgr255-x2 has no denoise control; automatic denoise does nothing"));
        Assert.That(auto.Output, Does.Not.Contain("denoise auto"));
        Assert.That(given.Error, Does.Contain("notice: bgr255-x2 has no denoise control; --denoise is ignored"));
        Assert.That(MaxDifference("auto.png", "given.png"), Is.Zero);
    }

    [TestCase("automatic")]
    [TestCase("0,5")]
    [TestCase("-0.1")]
    [TestCase("NaN")]
    public async Task Anything_but_auto_or_a_strength_is_a_usage_error(string value)
    {
        string input = Dir.Png("in.png", 8, 8);

        var result = await Run(input, "-o", Dir.File("out.png"), "--denoise", value);

        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain("denoise").And.Contain("auto"));
        Assert.That(File.Exists(Dir.File("out.png")), Is.False);
    }

    private double MaxDifference(string a, string b)
    {
        using var first = Image.NewFromFile(Dir.File(a));
        using var second = Image.NewFromFile(Dir.File(b));
        return (first - second).Abs().Max();
    }
}
