namespace Upscaler.Core.Tests;

/// <summary>
/// The denoise setting front ends offer (auto or a strength) and the shared policy that turns it into the
/// strength an upscale runs with, against the real engine and the test catalogs (one with denoise inputs,
/// one of foreign models without).
/// </summary>
[TestFixture]
public class AutoDenoiseTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);
    private static readonly IUpscaler Foreign = Engines.Create(Path.Combine(Engines.TestModels, "foreign"));

    [TestCase("auto", null)]
    [TestCase(" AUTO ", null)]
    [TestCase("0", 0.0)]
    [TestCase("0.35", 0.35)]
    [TestCase("1", 1.0)]
    public void Parses_auto_or_a_strength(string text, double? strength)
    {
        var setting = DenoiseSetting.Parse(text);

        Assert.That(setting.Strength, Is.EqualTo(strength));
        Assert.That(setting.IsAuto, Is.EqualTo(strength is null));
        Assert.That(DenoiseSetting.Parse(setting.ToString()), Is.EqualTo(setting), "ToString round-trips");
    }

    [TestCase("1.5")]
    [TestCase("-0.1")]
    [TestCase("NaN")]
    [TestCase("Infinity")]
    [TestCase("0,5")]
    [TestCase("")]
    [TestCase("autom")]
    public void Refuses_anything_else_in_one_line(string text)
    {
        var e = Assert.Throws<InvalidOptionsException>(() => DenoiseSetting.Parse(text));
        Assert.That(e!.Message, Does.Contain("auto").And.Not.Contain("\n"));
    }

    [Test]
    public void The_default_setting_is_auto() => Assert.That(default(DenoiseSetting).IsAuto, Is.True);

    [Test]
    public void A_fixed_strength_is_used_as_given_and_nothing_is_measured()
    {
        var noisy = Noisy(128, 96, sigma: 20);

        var decision = AutoDenoise.Decide(Engine, noisy, new UpscaleOptions(), DenoiseSetting.Fixed(0.2));

        Assert.That((decision.Strength, decision.ModelTakesDenoise, decision.Measured), Is.EqualTo((0.2, true, (DenoiseSuggestion?)null)));
        Assert.That(decision.Describe(), Is.EqualTo("denoise 0.2"));
    }

    [Test]
    public void Auto_uses_the_engines_suggestion_with_the_jpeg_quality_hint()
    {
        var noisy = Noisy(128, 96, sigma: 20);

        var decision = AutoDenoise.Decide(Engine, noisy, new UpscaleOptions(), DenoiseSetting.Auto, jpegQuality: 78);

        var expected = Engine.SuggestDenoise(noisy, 78);
        Assert.That(decision.Measured, Is.EqualTo(expected));
        Assert.That(decision.Strength, Is.EqualTo(expected.Strength));
        Assert.That(decision.Strength, Is.GreaterThan(0.3), "noise of 20 levels needs denoise");
        Assert.That(decision.Describe(), Does.Match(@"^denoise auto → 0\.\d+ \(noise \d+\.\d, JPEG q78\)$"));
        Assert.That(AutoDenoise.Decide(Engine, noisy, new UpscaleOptions(), DenoiseSetting.Auto).Describe(),
            Does.Match(@"^denoise auto → 0\.\d+ \(noise \d+\.\d, blockiness \d\.\d\d\)$"), "without a quality the blockiness is shown");
    }

    [Test]
    public void Auto_does_nothing_for_a_model_without_a_denoise_input()
    {
        var options = new UpscaleOptions { Scale = 2, ModelId = "bgr255-x2" };

        var decision = AutoDenoise.Decide(Foreign, Noisy(64, 64, sigma: 20), options, DenoiseSetting.Auto);

        Assert.That((decision.ModelTakesDenoise, decision.Strength, decision.Measured), Is.EqualTo((false, 0.0, (DenoiseSuggestion?)null)));
        Assert.That(AutoDenoise.NoControlReason(options), Is.EqualTo("bgr255-x2 has no denoise control"));
        Assert.That(AutoDenoise.NoControlReason(new UpscaleOptions { Model = ModelKind.Sharp }), Is.EqualTo("the sharp model has no denoise control"));
    }

    [Test]
    public void Takes_denoise_looks_at_every_model_the_options_can_select()
    {
        ModelInfo Model(string id, ModelKind kind, bool denoise) => new(id, kind, 4, id + ".onnx", "") { HasDenoise = denoise };
        IReadOnlyList<ModelInfo> models =
        [
            Model("general-x4", ModelKind.General, true),
            Model("realesrgan-x4plus", ModelKind.Sharp, false),
            Model("anime-a", ModelKind.Anime, false),
            Model("anime-b", ModelKind.Anime, true),
        ];

        Assert.That(AutoDenoise.TakesDenoise(models, new UpscaleOptions()), Is.True);
        Assert.That(AutoDenoise.TakesDenoise(models, new UpscaleOptions { Model = ModelKind.Sharp }), Is.False);
        Assert.That(AutoDenoise.TakesDenoise(models, new UpscaleOptions { Model = ModelKind.Anime }), Is.True, "one of the kind takes it");
        Assert.That(AutoDenoise.TakesDenoise(models, new UpscaleOptions { ModelId = "RealESRGAN-x4plus" }), Is.False, "ids match in any case");
        Assert.That(AutoDenoise.TakesDenoise(models, new UpscaleOptions { ModelId = "anime-b" }), Is.True);
        Assert.That(AutoDenoise.TakesDenoise(models, new UpscaleOptions { ModelId = "not-installed" }), Is.True, "the upscale reports it");
    }

    private static PixelImage Noisy(int width, int height, double sigma)
    {
        var image = TestImages.Smooth(width, height);
        var random = new Random(11);
        for (int i = 0; i < image.Data.Length; i++)
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            image.Data[i] = (byte)Math.Clamp(Math.Round(image.Data[i] + sigma * gaussian), 0, 255);
        }
        return image;
    }
}
