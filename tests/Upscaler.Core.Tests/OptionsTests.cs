namespace Upscaler.Core.Tests;

[TestFixture]
public class OptionsTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);

    private static IEnumerable<TestCaseData> BadOptions()
    {
        yield return new TestCaseData(new UpscaleOptions { Scale = 0.5 }, "scale");
        yield return new TestCaseData(new UpscaleOptions { Scale = 8.01 }, "scale");
        yield return new TestCaseData(new UpscaleOptions { Scale = double.NaN }, "scale");
        yield return new TestCaseData(new UpscaleOptions { Denoise = -0.1 }, "denoise");
        yield return new TestCaseData(new UpscaleOptions { Denoise = 1.5 }, "denoise");
        yield return new TestCaseData(new UpscaleOptions { TileSize = 8 }, "tile size");
        yield return new TestCaseData(new UpscaleOptions { TileSize = -4 }, "tile size");
        yield return new TestCaseData(new UpscaleOptions { TileSize = 9000 }, "tile size");
        yield return new TestCaseData(new UpscaleOptions { Model = (ModelKind)42 }, "model");
        yield return new TestCaseData(new UpscaleOptions { Device = (ComputeDevice)42 }, "device");
    }

    [TestCaseSource(nameof(BadOptions))]
    public void Out_of_range_options_are_refused_with_a_message_naming_them(UpscaleOptions options, string named)
    {
        var error = Assert.ThrowsAsync<InvalidOptionsException>(() => Engine.UpscaleAsync(TestImages.Pattern(8, 8), options));
        Assert.That(error!.Message, Does.Contain(named));
        Assert.That(error.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Outputs_beyond_the_size_limit_are_refused_before_any_work()
    {
        // 9000 x 9000 x 8 = 72000 px per side, over the 65535 limit; the input itself is cheap to make.
        var input = PixelImage.Create(9000, 10, PixelLayout.Gray, 8);
        var error = Assert.ThrowsAsync<ImageTooLargeException>(() => Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 8 }));
        Assert.That(error!.Message, Does.Contain("72000x80"));
    }

    [TestCase("general", ModelKind.General, null)]
    [TestCase(" Anime ", ModelKind.Anime, null)]
    [TestCase("SHARP", ModelKind.Sharp, null)]
    [TestCase("realesrgan-x4plus", ModelKind.General, "realesrgan-x4plus")]
    [TestCase("3", ModelKind.General, "3")]
    [TestCase("general,face", ModelKind.General, "general,face")]
    public void A_model_is_named_by_kind_or_else_by_id(string text, ModelKind kind, string? id)
    {
        var options = new UpscaleOptions { ModelId = "earlier" }.WithModel(text);
        Assert.That((options.Model, options.ModelId), Is.EqualTo((kind, id)));
    }

    [Test]
    public void Pixel_buffers_must_match_their_declared_size() =>
        Assert.Throws<ArgumentException>(() => _ = new PixelImage(4, 4, PixelLayout.Rgb, 8, new byte[47]));

    [Test]
    public void Gpu_without_a_gpu_provider_is_a_clear_error()
    {
        if (Inference.ExecutionProviders.GpuBuilt)
            Assert.Ignore("this build has a GPU provider; the error path is for CPU-only builds");
        var error = Assert.ThrowsAsync<DeviceUnavailableException>(() =>
            Engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Device = ComputeDevice.Gpu }));
        Assert.That(error!.Message, Does.Contain("GPU"));
    }

    [Test]
    public async Task Auto_falls_back_to_the_cpu()
    {
        var output = await Engine.UpscaleAsync(TestImages.Pattern(8, 8), new UpscaleOptions { Device = ComputeDevice.Auto, Scale = 2 });
        Assert.That(output.Width, Is.EqualTo(16));
    }
}
