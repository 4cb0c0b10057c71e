using System.Text;
using NetVips;

namespace Upscaler.Cli.Tests;

/// <summary><c>upscaler models</c>, <c>models add</c> and <c>models remove</c>, and <c>--model</c> taking an id.</summary>
[TestFixture]
[NonParallelizable] // Cli.UserModels is shared by in-process runs
public class ModelsCommandTests : ScratchFolderTests
{
    private string _previous = "";

    private string UserFolder => Dir.File("my-models");

    [SetUp]
    public void UseScratchUserFolder()
    {
        _previous = Cli.UserModels;
        Cli.UserModels = UserFolder;
    }

    [TearDown]
    public void RestoreUserFolder() => Cli.UserModels = _previous;

    /// <summary>
    /// A tiny ncnn model written by hand, as Upscayl users hold them: one 3x3 convolution to 12
    /// channels and a pixel shuffle, x2. Its weights make every output pixel the input pixel it lies in.
    /// </summary>
    private (string Param, string Bin) NcnnNearestX2()
    {
        string param = Dir.File("nearest-x2.param"), bin = Dir.File("nearest-x2.bin");
        File.WriteAllText(param, """
            7767517
            3 3
            Input            data     0 1 data
            Convolution      conv     1 1 data c 0=12 1=3 4=1 5=1 6=324
            PixelShuffle     shuffle  1 1 c output 0=2
            """);
        using var stream = File.Create(bin);
        using var writer = new BinaryWriter(stream);
        writer.Write(0); // float32 weights tag
        for (int o = 0; o < 12; o++)
            for (int i = 0; i < 3; i++)
                for (int k = 0; k < 9; k++)
                    writer.Write(o / 4 == i && k == 4 ? 1f : 0f);
        for (int o = 0; o < 12; o++)
            writer.Write(0f); // bias
        return (param, bin);
    }

    [Test]
    public async Task The_list_gives_each_models_estimated_seconds_per_megapixel_from_its_flops()
    {
        var list = await Cli.RunAsync(Cli.ShippedModels, "models");

        Assert.That(list.ExitCode, Is.Zero, list.ToString());
        Assert.That(list.Output, Does.Match(@"(?m)^ID\s+KIND\s+SCALE\s+DENOISE\s+FROM\s+S/MP\*\s+DESCRIPTION"));
        Assert.That(list.Output, Does.Contain("* estimated seconds per input megapixel on this CPU: each model's FLOPs at the rate a 256x256 float32 run of general-x2 just measured"));
        // Times scale with the manifest's FLOPs: x4 (459,648 per pixel) against x2 (428,544).
        double Seconds(string id) => double.Parse(System.Text.RegularExpressions.Regex.Match(list.Output, $@"(?m)^{id}\s+\S+\s+x\d\s+\S+\s+ours\s+([\d.]+)\s").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Seconds("general-x2"), Is.GreaterThan(0));
        Assert.That(Seconds("general-x4") / Seconds("general-x2"), Is.EqualTo(459_648.0 / 428_544).Within(0.1));
    }

    [Test]
    public async Task Without_a_shipped_model_stating_its_flops_the_speed_is_unknown_and_says_why()
    {
        var list = await Cli.RunAsync(Cli.TestModels, "models");
        Assert.That(list.ExitCode, Is.Zero, list.ToString());
        Assert.That(list.Output, Does.Match(@"(?m)^test-x2\s+general\s+x2\s+yes\s+ours\s+\?\s"));
        Assert.That(list.Output, Does.Contain("* S/MP*: no shipped model states its FLOPs to measure this CPU's rate with"));
    }

    [Test]
    public async Task An_ncnn_model_is_converted_added_listed_used_by_id_and_removed()
    {
        var (param, bin) = NcnnNearestX2();
        var add = await Cli.RunAsync(Cli.TestModels, "models", "add", param, bin, "--id", "nearest", "--kind", "anime", "--name", "nearest neighbour x2");
        Assert.That(add.ExitCode, Is.Zero, add.ToString());
        Assert.That(add.Output, Does.Contain("added nearest: anime x2").And.Contain("no denoise control"));

        var list = await Cli.RunAsync(Cli.TestModels, "models");
        Assert.That(list.Output, Does.Match(@"nearest\s+anime\s+x2\s+no\s+yours\s+\S+\s+nearest neighbour x2"));

        string input = Dir.Png("in.png", 20, 14), output = Dir.File("out.png");
        var run = await Cli.RunAsync(Cli.TestModels, input, "-o", output, "--scale", "2", "--model", "nearest", "--denoise", "0.4");
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Error, Does.Contain("nearest has no denoise control; --denoise is ignored"));
        using (var upscaled = Image.NewFromFile(output))
        using (var nearest = Image.NewFromFile(input).Resize(2, kernel: Enums.Kernel.Nearest))
            Assert.That((upscaled - nearest).Abs().Max(), Is.LessThanOrEqualTo(1));

        var remove = await Cli.RunAsync(Cli.TestModels, "models", "remove", "nearest");
        Assert.That(remove.ExitCode, Is.Zero, remove.ToString());
        Assert.That((await Cli.RunAsync(Cli.TestModels, "models")).Output, Does.Not.Match(@"(?m)^nearest\s"));
        Assert.That(Directory.GetFiles(UserFolder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "manifest.json" }));
    }

    [Test]
    public async Task An_onnx_model_can_be_added_with_its_value_range_channel_order_licence_and_source()
    {
        string onnx = Path.Combine(Cli.TestModels, "test-x4.onnx");
        var add = await Cli.RunAsync(Cli.TestModels, "models", "add", onnx, "--id", "mine-x4", "--kind", "general", "--order", "bgr",
            "--licence", "MIT", "--source", "example@1.0.0 models/test-x4.onnx");
        Assert.That(add.ExitCode, Is.Zero, add.ToString());
        string manifest = File.ReadAllText(Path.Combine(UserFolder, "manifest.json"));
        Assert.That(manifest, Does.Contain("\"order\": \"BGR\"").And.Contain("\"scale\": 4")
            .And.Contain("\"licence\": \"MIT\"").And.Contain("\"source\": \"example@1.0.0 models/test-x4.onnx\""));
        // Measured from the graph, so tiles are sized from it.
        double memory = Upscaler.ModelImport.Analysis.InferenceMemory.PerInputPixel(File.ReadAllBytes(onnx))!.Value;
        Assert.That(manifest, Does.Contain($"\"memoryPerPixel\": {Math.Ceiling(memory)}"));
    }

    [Test]
    public async Task With_int8_a_copy_calibrated_on_the_given_photos_is_registered_run_and_removed_with_the_model()
    {
        string onnx = Path.Combine(Cli.ShippedModels, "general", "general-x4.onnx");
        string photo = Path.Combine(Cli.ShippedModels, "..", "samples", "coffee.png");
        var add = await Cli.RunAsync(Cli.TestModels, "models", "add", onnx, "--id", "mine-x4", "--kind", "general", "--int8", "--calibrate", photo);
        Assert.That(add.ExitCode, Is.Zero, add.ToString());
        Assert.That(add.Output, Does.Match(@"(?m)^int8 copy for CPUs with int8 dot products: PSNR-Y [+-]\d\.\d{3} dB against float32's on 1 check photos \(downscaled x4, upscaled again\), agreement with float32 \d\d\.\d dB \(10 of 12 convolutions int8, 8-bit weights"));
        Assert.That(add.Output, Does.Match(@"(?m)^int8 copy for AVX2 CPUs without them: PSNR-Y .*7-bit weights"));

        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(UserFolder, "manifest.json")))!["models"]![0]!;
        foreach (var (key, file) in new[] { ("int8", "mine-x4.int8.onnx"), ("int8Avx2", "mine-x4.int8avx2.onnx") })
        {
            string path = Path.Combine(UserFolder, file);
            Assert.That(File.Exists(path), Is.True, file);
            Assert.That((string?)manifest[key]!["file"], Is.EqualTo(file));
            Assert.That((string?)manifest[key]!["sha256"], Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))));
        }

        // The engine runs a copy (int8 dot products: the 8-bit one; AVX2 without them: the 7-bit one; other
        // CPUs: float32): the result is the float model's, registered again without copies, within their accuracy.
        var plain = await Cli.RunAsync(Cli.TestModels, "models", "add", onnx, "--id", "mine-x4-float", "--kind", "general");
        Assert.That(plain.ExitCode, Is.Zero, plain.ToString());
        string input = Dir.Png("in.png", 40, 30), withInt8 = Dir.File("int8.png"), withFloat = Dir.File("float.png");
        foreach (var (id, output) in new[] { ("mine-x4", withInt8), ("mine-x4-float", withFloat) })
        {
            var run = await Cli.RunAsync(Cli.TestModels, input, "-o", output, "--model", id, "--denoise", "0", "--faces", "off");
            Assert.That(run.ExitCode, Is.Zero, run.ToString());
        }
        using (var a = Image.NewFromFile(withInt8))
        using (var b = Image.NewFromFile(withFloat))
            Assert.That((a - b).Abs().Avg(), Is.LessThan(2.0));
        Assert.That((await Cli.RunAsync(Cli.TestModels, "models", "remove", "mine-x4-float")).ExitCode, Is.Zero);

        var remove = await Cli.RunAsync(Cli.TestModels, "models", "remove", "mine-x4");
        Assert.That(remove.ExitCode, Is.Zero, remove.ToString());
        Assert.That(Directory.GetFiles(UserFolder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "manifest.json" }));
    }

    [Test]
    public async Task A_model_int8_cannot_serve_is_added_in_float32_with_a_line_saying_why()
    {
        // One convolution: the first and the last, which stay float32.
        var (param, bin) = NcnnNearestX2();
        string photo = Path.Combine(Cli.ShippedModels, "..", "samples", "coffee.png");
        var add = await Cli.RunAsync(Cli.TestModels, "models", "add", param, bin, "--id", "nearest", "--int8", "--calibrate", photo);
        Assert.That(add.ExitCode, Is.Zero, add.ToString());
        Assert.That(add.Output, Does.Contain("added nearest").And.Contain("no int8 copy: the model has no convolution with constant weights to quantize besides its first and last"));
        Assert.That(Directory.GetFiles(UserFolder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "manifest.json", "nearest.onnx" }));
    }

    [Test]
    public async Task Int8_without_photos_to_calibrate_on_or_with_unreadable_ones_is_refused_with_nothing_registered()
    {
        string onnx = Path.Combine(Cli.TestModels, "test-x4.onnx");
        string notAnImage = Dir.File("notes.png");
        File.WriteAllText(notAnImage, "not a picture");
        foreach (var extra in new[] { new[] { "--int8" }, new[] { "--calibrate", Dir.Png("in.png", 64, 64) }, new[] { "--int8", "--calibrate", notAnImage }, new[] { "--int8", "--calibrate", Dir.Png("tiny.png", 20, 20) } })
        {
            var add = await Cli.RunAsync(Cli.TestModels, ["models", "add", onnx, "--id", "mine", .. extra]);
            Assert.That(add.ExitCode, Is.EqualTo(1), add.ToString());
            Assert.That(add.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), add.ToString());
            Assert.That(Directory.Exists(UserFolder) ? Directory.GetFiles(UserFolder).Where(f => f.EndsWith(".onnx")) : [], Is.Empty, string.Join(" ", extra));
        }
    }

    [Test]
    public async Task A_taken_id_is_refused_before_the_model_is_converted_or_its_int8_copies_made()
    {
        string onnx = Path.Combine(Cli.TestModels, "test-x4.onnx");
        Assert.That((await Cli.RunAsync(Cli.TestModels, "models", "add", onnx, "--id", "mine")).ExitCode, Is.Zero);
        // The photo cannot be read: had the calibration begun, that would be the error.
        string notAnImage = Dir.File("notes.png");
        File.WriteAllText(notAnImage, "not a picture");
        foreach (var (id, says) in new[] { ("mine", "the id \"mine\" is taken by an installed user model"), ("test-x2", "the id \"test-x2\" is taken by an installed shipped model") })
        {
            var add = await Cli.RunAsync(Cli.TestModels, "models", "add", onnx, "--id", id, "--int8", "--calibrate", notAnImage);
            Assert.That(add.ExitCode, Is.EqualTo(1), add.ToString());
            Assert.That(add.Error, Does.StartWith($"upscaler: error: {says}; choose another with --id"), add.ToString());
        }
        Assert.That(Directory.GetFiles(UserFolder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "manifest.json", "mine.onnx" }));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task A_cancelled_add_says_so_exits_130_and_registers_nothing(bool int8)
    {
        string onnx = Path.Combine(Cli.TestModels, "test-x4.onnx");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();   // as Ctrl+C does (InterruptSignals)
        string[] extra = int8 ? ["--int8", "--calibrate", Dir.Png("in.png", 96, 96)] : [];
        var add = await Cli.RunAsync(Cli.TestModels, cancelled.Token, ["models", "add", onnx, "--id", "mine", .. extra]);
        Assert.That(add.ExitCode, Is.EqualTo(130), add.ToString());
        Assert.That(add.Error, Is.EqualTo("upscaler: cancelled; nothing was added" + Environment.NewLine));
        Assert.That(Directory.Exists(UserFolder) ? Directory.GetFiles(UserFolder) : [], Is.Empty);
        Assert.That(Directory.GetDirectories(Path.GetTempPath(), $"upscaler-add-{Environment.ProcessId}-*"), Is.Empty, "the scratch folder is removed");
    }

    [Test]
    public async Task Files_that_are_not_models_or_are_cut_short_are_refused_with_nothing_registered()
    {
        var (param, bin) = NcnnNearestX2();
        var truncated = Dir.File("cut.bin");
        File.WriteAllBytes(truncated, File.ReadAllBytes(bin)[..100]);
        var notModel = Dir.Png("picture.png", 8, 8);

        foreach (var files in new[] { new[] { notModel }, new[] { param, truncated }, new[] { Dir.File("missing.pth") } })
        {
            var add = await Cli.RunAsync(Cli.TestModels, ["models", "add", .. files]);
            Assert.That(add.ExitCode, Is.EqualTo(1), add.ToString());
            Assert.That(add.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), add.ToString());
            Assert.That(Directory.Exists(UserFolder) ? Directory.GetFiles(UserFolder).Where(f => f.EndsWith(".onnx")) : [], Is.Empty);
        }
    }

    [Test]
    public async Task Usage_problems_exit_2()
    {
        var (param, bin) = NcnnNearestX2();
        var typo = await Cli.RunAsync(Cli.TestModels, "models", "add", param, bin, "--kindd", "sharp");
        Assert.That(typo.ExitCode, Is.EqualTo(2), typo.ToString());
        Assert.That(typo.Error, Does.Contain("did you mean --kind"));

        var unknown = await Cli.RunAsync(Cli.TestModels, Dir.Png("in.png", 8, 8), "--model", "realesrgan-x9");
        Assert.That(unknown.ExitCode, Is.EqualTo(2), unknown.ToString());
        Assert.That(unknown.Error, Does.Contain("unknown model \"realesrgan-x9\"").And.Contain("test-x2"));
        Assert.That(File.Exists(Dir.File("in_x4.png")), Is.False, "nothing was processed");
    }

    [Test]
    public async Task Shipped_models_cannot_be_removed()
    {
        var remove = await Cli.RunAsync(Cli.TestModels, "models", "remove", "test-x2");
        Assert.That(remove.ExitCode, Is.EqualTo(1));
        Assert.That(remove.Error, Does.Contain("only models you added can be removed"));
    }
}
