using Upscaler.Core;
using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

/// <summary>The effect's computation against the real engine and the tiny test models.</summary>
public class EnlargedCanvasUpscalerTests
{
    private EngineHost _host = null!;

    [OneTimeSetUp]
    public void StartEngine() => _host = EngineHost.ForPluginDirectory(TestCanvases.PluginDirectory, userModelsDirectory: null);

    [OneTimeTearDown]
    public void StopEngine() => _host.Dispose();

    [TestCase(ScaleChoice.X2)]
    [TestCase(ScaleChoice.X3)]
    [TestCase(ScaleChoice.X4)]
    public async Task Result_equals_the_engine_run_on_the_original(ScaleChoice scale)
    {
        int factor = (int)scale;
        var settings = EffectSettings.Default with { Scale = scale, Device = DeviceChoice.Cpu, AutoDenoise = false, DenoisePercent = 20 };
        var original = TestCanvases.Random(12, 9, seed: factor);

        var result = await new EnlargedCanvasUpscaler(_host.Upscaler).UpscaleAsync(TestCanvases.NearestEnlarge(original, factor), settings, null, CancellationToken.None);

        var direct = await _host.Upscaler.UpscaleAsync(PixelConversion.ToEngine(original), settings.ToUpscaleOptions());
        Assert.That((result.Width, result.Height), Is.EqualTo((12 * factor, 9 * factor)));
        Assert.That(result.Data, Is.EqualTo(PixelConversion.FromEngine(direct).Data));
    }

    [Test]
    public async Task Automatic_denoise_measures_the_rebuilt_original_and_upscales_with_its_choice()
    {
        var settings = EffectSettings.Default with { Device = DeviceChoice.Cpu };
        // A smooth ramp with strong seeded noise: automatic denoise asks for a clear strength.
        var original = BgraCanvas.Create(64, 48);
        var random = new Random(7);
        for (int y = 0; y < 48; y++)
            for (int x = 0; x < 64; x++)
                for (int c = 0; c < 4; c++)
                    original.Data[original.Offset(x, y) + c] = c == 3 ? (byte)255 : (byte)Math.Clamp(60 + 2 * x + y + 30 * c + random.Next(-40, 41), 0, 255);
        DenoiseDecision? chosen = null;

        var result = await new EnlargedCanvasUpscaler(_host.Upscaler).UpscaleAsync(TestCanvases.NearestEnlarge(original, 2), settings, null,
            CancellationToken.None, decision => chosen = decision);

        var expected = _host.Upscaler.SuggestDenoise(PixelConversion.ToEngine(original));
        Assert.That(chosen?.Measured, Is.EqualTo(expected), "measured on the original, not the enlarged canvas");
        Assert.That(chosen!.Strength, Is.EqualTo(expected.Strength));
        Assert.That(expected.Strength, Is.GreaterThan(0.2), "noise of about 23 levels");
        var direct = await _host.Upscaler.UpscaleAsync(PixelConversion.ToEngine(original), settings.ToUpscaleOptions() with { Denoise = expected.Strength });
        Assert.That(result.Data, Is.EqualTo(PixelConversion.FromEngine(direct).Data));
    }

    [Test]
    public async Task Remainder_strip_keeps_the_canvas_pixels()
    {
        var settings = EffectSettings.Default with { Device = DeviceChoice.Cpu };
        var canvas = TestCanvases.NearestEnlarge(TestCanvases.Random(6, 5), 2, extraColumns: 1, extraRows: 1);

        var result = await new EnlargedCanvasUpscaler(_host.Upscaler).UpscaleAsync(canvas, settings, null, CancellationToken.None);

        Assert.That((result.Width, result.Height), Is.EqualTo((13, 11)));
        for (int y = 0; y < 11; y++)
            Assert.That(result.Data.AsSpan(result.Offset(12, y), 4).ToArray(), Is.EqualTo(canvas.Data.AsSpan(canvas.Offset(12, y), 4).ToArray()));
        Assert.That(result.Data.AsSpan(result.Offset(0, 10), 13 * 4).ToArray(), Is.EqualTo(canvas.Data.AsSpan(canvas.Offset(0, 10), 13 * 4).ToArray()));
    }

    [Test]
    public void A_missing_model_family_is_a_one_line_engine_error()
    {
        var settings = EffectSettings.Default with { Model = "face", Device = DeviceChoice.Cpu };
        var e = Assert.ThrowsAsync(Is.InstanceOf<UpscalerException>(), () => new EnlargedCanvasUpscaler(_host.Upscaler).UpscaleAsync(TestCanvases.Random(8, 8), settings, null, CancellationToken.None));
        Assert.That(e!.Message, Does.Not.Contain("\n"));
    }

    [Test]
    public void Cancellation_flag_cancels_the_engine_run()
    {
        // An engine that runs until cancelled: the flag, raised while it runs, must reach its token.
        var engine = new UntilCancelledEngine();
        int polls = 0;
        Assert.Throws(Is.InstanceOf<OperationCanceledException>(), () => CancellationPolling.Run(
            ct => new EnlargedCanvasUpscaler(engine).UpscaleAsync(TestCanvases.Random(8, 8), EffectSettings.Default, null, ct),
            () => ++polls > 3, TimeSpan.FromMilliseconds(5)));
        Assert.That(engine.Started && engine.SawCancellation);
    }

    [Test]
    public void A_flag_raised_before_the_run_never_starts_the_real_engine()
    {
        Assert.Throws(Is.InstanceOf<OperationCanceledException>(), () => CancellationPolling.Run(
            ct => new EnlargedCanvasUpscaler(_host.Upscaler).UpscaleAsync(TestCanvases.Random(64, 64), EffectSettings.Default with { Device = DeviceChoice.Cpu }, null, ct),
            () => true));
    }

    private sealed class UntilCancelledEngine : IUpscaler
    {
        public bool Started { get; private set; }
        public bool SawCancellation { get; private set; }
        public IReadOnlyList<ModelInfo> Models => [];

        public async Task<PixelImage> UpscaleAsync(PixelImage input, UpscaleOptions options, IProgress<UpscaleProgress>? progress = null, CancellationToken cancellationToken = default)
        {
            Started = true;
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                SawCancellation = true;
                throw;
            }
            return input;
        }

        public DenoiseSuggestion SuggestDenoise(PixelImage image, int? jpegQuality = null) => new(0, 0, jpegQuality, 0);

        public IReadOnlyList<DetectedFace> FindFaces(PixelImage image, ComputeDevice device = ComputeDevice.Auto, CancellationToken cancellationToken = default) => [];
    }

    [Test]
    public void Engine_reads_the_models_beside_the_effect() =>
        Assert.That(_host.Upscaler.Models.Select(m => m.Id), Is.EquivalentTo(new[] { "test-x2", "test-x4" }));
}
