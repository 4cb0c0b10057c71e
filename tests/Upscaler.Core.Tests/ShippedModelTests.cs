using System.Text.Json;
using Upscaler.Core.Catalog;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tests;

/// <summary>The real models in models/: loadable, seam-free, colour-faithful and equal to their PyTorch originals.</summary>
[TestFixture]
public class ShippedModelTests
{
    private static readonly Lazy<ModelCatalog> Catalog = new(() => new ModelCatalog(new UpscalerSettings { ModelsDirectory = Engines.ShippedModels }));
    private static readonly Lazy<IUpscaler> Engine = new(() => Engines.Create(Engines.ShippedModels));

    public static IEnumerable<TestCaseData> Models()
    {
        // Read without the test context (test case sources run before it exists).
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Plugins.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("Plugins.sln not found");
        var catalog = new ModelCatalog(new UpscalerSettings { ModelsDirectory = Path.Combine(root, "models") });
        // Our own models only: the bundled open models (models/open/, when fetched) have no PyTorch
        // fixtures and are not all exactly tiled; BundledModelTests measures them.
        foreach (var model in catalog.Models.Where(m => m.Origin == ModelOrigin.Shipped))
            yield return new TestCaseData(model.Id).SetName($"{{m}}({model.Id})");
    }

    private static ModelDescriptor Model(string id) => Catalog.Value.Models.Single(m => m.Id == id);

    [Test]
    public void The_catalog_ships_a_general_model_at_x2_and_x4() =>
        Assert.That(Catalog.Value.ScalesFor(ModelKind.General), Is.SupersetOf(new[] { 2, 4 }));

    [TestCaseSource(nameof(Models))]
    public async Task Tiled_equals_whole_image(string id)
    {
        var model = Model(id);
        var input = TestImages.Pattern(70, 50, seed: 3);
        var options = new UpscaleOptions { Scale = model.Scale, ModelId = model.Id, Denoise = 0.4 };
        var whole = await Engine.Value.UpscaleAsync(input, options with { TileSize = 0 });
        var tiled = await Engine.Value.UpscaleAsync(input, options with { TileSize = 24 });
        Assert.That(TestImages.MaxDifference(whole, tiled), Is.LessThanOrEqualTo(1.0 / 255));
    }

    [TestCaseSource(nameof(Models))]
    public async Task The_result_is_the_models_own_output(string id)
    {
        // What the network computes on the image mirror-padded by its receptive field, margin cropped,
        // rounded to 8 bits: the engine must hand back exactly that, not a resample of the input.
        var model = Model(id);
        var input = TestImages.Pattern(30, 22, seed: 7);
        const float denoise = 0.3f;
        var output = await Engine.Value.UpscaleAsync(input, new UpscaleOptions { Scale = model.Scale, ModelId = model.Id, Denoise = denoise });

        int m = model.ReceptiveField, s = model.Scale, paddedW = input.Width + 2 * m, paddedH = input.Height + 2 * m;
        var padded = new float[3 * paddedW * paddedH];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < paddedH; y++)
                for (int x = 0; x < paddedW; x++)
                    padded[(c * paddedH + y) * paddedW + x] =
                        input.GetSample(Imaging.Mirror.Index(x - m, input.Width), Imaging.Mirror.Index(y - m, input.Height), c) / 255f;

        using var cache = new SessionCache(new UpscalerSettings { ModelsDirectory = Engines.ShippedModels });
        double worst = double.NaN;
        cache.Get(model, ComputeDevice.Cpu).Run(padded, paddedH, paddedW, denoise, result =>
        {
            int outW = paddedW * s, outH = paddedH * s;
            worst = 0;
            for (int c = 0; c < 3; c++)
                for (int y = 0; y < output.Height; y++)
                    for (int x = 0; x < output.Width; x++)
                    {
                        double expected = Math.Clamp(result[(c * outH + y + m * s) * outW + x + m * s], 0f, 1f) * 255;
                        worst = Math.Max(worst, Math.Abs(output.GetSample(x, y, c) - expected));
                    }
        }, CancellationToken.None);

        Assert.That(worst, Is.LessThanOrEqualTo(1.0), "off by more than rounding from the model's own output");
    }

    [Test]
    public async Task Int8_copies_stay_within_a_few_levels_of_float32()
    {
        // The card's numbers for them: at most 0.05 dB below float32 on Set5/Set14. Per pixel that is
        // rounding-sized differences almost everywhere and a few levels at worst.
        var int8 = Catalog.Value.Models.Where(m => m.Int8 is not null).ToList();
        Assert.That(int8.Select(m => m.Id), Is.SupersetOf(new[] { "general-x2", "general-x4", "face-x2", "face-x4" }));
        var input = TestImages.Pattern(64, 48, seed: 11);
        var float32 = Engines.Create(Engines.ShippedModels, s => s.UseInt8OnCpu = false);
        var quantized = Engines.Create(Engines.ShippedModels, s => s.UseInt8OnCpu = true);
        foreach (var model in int8)
        {
            var options = new UpscaleOptions { Scale = model.Scale, ModelId = model.Id, Denoise = 0.3 };
            var a = await float32.UpscaleAsync(input, options);
            var b = await quantized.UpscaleAsync(input, options);
            double mean = 0;
            for (int i = 0; i < a.Data.Length; i++)
                mean += Math.Abs(a.Data[i] - b.Data[i]);
            mean /= a.Data.Length;
            TestContext.Out.WriteLine($"{model.Id}: max {TestImages.MaxDifference(a, b) * 255:0} levels, mean {mean:0.00}");
            Assert.That(TestImages.MaxDifference(a, b), Is.LessThanOrEqualTo(12.0 / 255), model.Id);
            Assert.That(mean, Is.LessThan(1.0), model.Id);
        }
    }

    [TestCaseSource(nameof(Models))]
    public async Task Thread_count_does_not_change_the_result(string id)
    {
        var model = Model(id);
        var input = TestImages.Pattern(48, 40, seed: 5);
        var options = new UpscaleOptions { Scale = model.Scale, ModelId = model.Id, TileSize = 32 };
        var one = await Engines.Create(Engines.ShippedModels, s => s.CpuThreads = 1).UpscaleAsync(input, options);
        var two = await Engines.Create(Engines.ShippedModels, s => s.CpuThreads = 2).UpscaleAsync(input, options);
        Assert.That(TestImages.MaxDifference(one, two), Is.LessThanOrEqualTo(1.0 / 255));
    }

    [TestCaseSource(nameof(Models))]
    public async Task Flat_colour_stays_the_same_colour(string id)
    {
        var model = Model(id);
        var input = PixelImage.Create(24, 24, PixelLayout.Rgb, 8);
        for (int i = 0; i < input.Data.Length; i += 3)
            (input.Data[i], input.Data[i + 1], input.Data[i + 2]) = ((byte)170, (byte)110, (byte)60);

        var output = await Engine.Value.UpscaleAsync(input, new UpscaleOptions { Scale = model.Scale, ModelId = model.Id, Denoise = 0 });
        for (int c = 0; c < 3; c++)
        {
            double mean = 0;
            for (int y = 0; y < output.Height; y++)
                for (int x = 0; x < output.Width; x++)
                    mean += output.GetSample(x, y, c);
            mean /= output.Width * output.Height;
            Assert.That(mean, Is.EqualTo((double)input.Data[c]).Within(3.0), $"channel {c}");
        }
    }

    [TestCaseSource(nameof(Models))]
    public void Onnx_runtime_matches_the_pytorch_reference(string id)
    {
        var model = Model(id);
        string fixturePath = Path.Combine(Engines.ShippedModels, "reference", id + ".json");
        Assert.That(File.Exists(fixturePath), Is.True, $"reference fixture {fixturePath} is missing");
        var fixture = JsonDocument.Parse(File.ReadAllText(fixturePath)).RootElement;
        int[] inShape = fixture.GetProperty("inputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int[] outShape = fixture.GetProperty("outputShape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        float[] input = ReadFloats(Path.Combine(Path.GetDirectoryName(fixturePath)!, fixture.GetProperty("input").GetString()!));
        float[] expected = ReadFloats(Path.Combine(Path.GetDirectoryName(fixturePath)!, fixture.GetProperty("output").GetString()!));
        float denoise = fixture.GetProperty("denoise").GetSingle();
        double tolerance = fixture.GetProperty("tolerance").GetDouble();
        Assert.That(expected, Has.Length.EqualTo(outShape.Aggregate(1, (a, b) => a * b)));

        // The fixture is the float32 network's output; int8 copies are held to their own test below.
        using var cache = new SessionCache(new UpscalerSettings { ModelsDirectory = Engines.ShippedModels, UseInt8OnCpu = false });
        double worst = double.NaN;
        cache.Get(model, ComputeDevice.Cpu).Run(input, inShape[2], inShape[3], denoise, output =>
        {
            Assert.That(output.Length, Is.EqualTo(expected.Length));
            worst = 0;
            for (int i = 0; i < output.Length; i++)
                worst = Math.Max(worst, Math.Abs(output[i] - expected[i]));
        }, CancellationToken.None);

        TestContext.Out.WriteLine($"{id}: max |ONNX Runtime - PyTorch| = {worst:E2}");
        Assert.That(worst, Is.LessThanOrEqualTo(tolerance));
    }

    private static float[] ReadFloats(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return floats;
    }
}
