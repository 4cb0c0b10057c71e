using Upscaler.Core;
using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

public class EffectSettingsTests
{
    [TestCase(ScaleChoice.X2, 2)]
    [TestCase(ScaleChoice.X3, 3)]
    [TestCase(ScaleChoice.X4, 4)]
    public void Scale_choice_is_the_factor_and_the_engine_scale(ScaleChoice scale, int factor)
    {
        var settings = EffectSettings.Default with { Scale = scale };
        Assert.That(settings.Factor, Is.EqualTo(factor));
        Assert.That(settings.ToUpscaleOptions().Scale, Is.EqualTo(factor));
    }

    [TestCase("general", ModelKind.General, null)]
    [TestCase("face", ModelKind.Face, null)]
    [TestCase("sharp", ModelKind.Sharp, null)]
    [TestCase("realesrgan-x4plus", ModelKind.General, "realesrgan-x4plus")]
    public void A_model_row_selects_a_kind_or_a_model_by_id(string model, ModelKind kind, string? id)
    {
        var options = (EffectSettings.Default with { Model = model }).ToUpscaleOptions();
        Assert.That((options.Model, options.ModelId), Is.EqualTo((kind, id)));
    }

    [Test]
    public void No_model_is_a_one_line_options_error() =>
        Assert.Throws<InvalidOptionsException>(() => (EffectSettings.Default with { Model = " " }).ToUpscaleOptions());

    [TestCase(DeviceChoice.Auto, ComputeDevice.Auto)]
    [TestCase(DeviceChoice.Gpu, ComputeDevice.Gpu)]
    [TestCase(DeviceChoice.Cpu, ComputeDevice.Cpu)]
    public void Device_choice_maps_to_the_compute_device(DeviceChoice device, ComputeDevice expected) =>
        Assert.That((EffectSettings.Default with { Device = device }).ToUpscaleOptions().Device, Is.EqualTo(expected));

    [TestCase(0, 0.0)]
    [TestCase(35, 0.35)]
    [TestCase(100, 1.0)]
    public void With_automatic_off_the_percent_becomes_a_strength_from_0_to_1(int percent, double strength)
    {
        var settings = EffectSettings.Default with { AutoDenoise = false, DenoisePercent = percent };
        Assert.That(settings.ToUpscaleOptions().Denoise, Is.EqualTo(strength).Within(1e-12));
        Assert.That(settings.Denoise.Strength, Is.EqualTo(strength).Within(1e-12));
    }

    [Test]
    public void Automatic_denoise_ignores_the_slider() =>
        Assert.That((EffectSettings.Default with { DenoisePercent = 80 }).Denoise, Is.EqualTo(DenoiseSetting.Auto));

    [TestCase(true, 100, FaceMode.Auto, 1.0)]
    [TestCase(true, 40, FaceMode.Auto, 0.4)]
    [TestCase(false, 100, FaceMode.Off, 1.0)]
    public void Face_checkbox_and_strength_map_to_the_face_options(bool restore, int percent, FaceMode mode, double strength)
    {
        var options = (EffectSettings.Default with { RestoreFaces = restore, FaceStrengthPercent = percent }).ToUpscaleOptions();
        Assert.That((options.Faces, options.FaceStrength), Is.EqualTo((mode, strength)));
    }

    [Test]
    public void Faces_are_restored_at_full_strength_by_default() =>
        Assert.That((EffectSettings.Default.RestoreFaces, EffectSettings.Default.FaceStrengthPercent), Is.EqualTo((true, 100)));

    [TestCase(-1)]
    [TestCase(101)]
    public void Face_strength_out_of_range_is_a_one_line_options_error(int percent)
    {
        var e = Assert.Throws<InvalidOptionsException>(() => (EffectSettings.Default with { FaceStrengthPercent = percent }).ToUpscaleOptions());
        Assert.That(e!.Message, Does.Contain("face strength"));
    }

    [TestCase(-1)]
    [TestCase(101)]
    public void Denoise_out_of_range_is_a_one_line_options_error(int percent)
    {
        var e = Assert.Throws<InvalidOptionsException>(() => (EffectSettings.Default with { AutoDenoise = false, DenoisePercent = percent }).ToUpscaleOptions());
        Assert.That(e!.Message, Does.Contain("denoise").And.Not.Contain("\n"));
    }

    [Test]
    public void A_scale_the_effect_does_not_offer_is_refused() =>
        Assert.Throws<InvalidOptionsException>(() => _ = (EffectSettings.Default with { Scale = (ScaleChoice)5 }).Factor);

    [Test]
    public void Defaults_are_x2_general_automatic_denoise_auto_device_and_leave_tiling_to_the_engine()
    {
        var options = EffectSettings.Default.ToUpscaleOptions();
        Assert.That((options.Scale, options.Model, options.ModelId, options.Device, options.TileSize),
            Is.EqualTo((2.0, ModelKind.General, (string?)null, ComputeDevice.Auto, (int?)null)));
        Assert.That((EffectSettings.Default.Denoise, EffectSettings.Default.DenoisePercent), Is.EqualTo((DenoiseSetting.Auto, 50)));
    }

    [Test]
    public void Help_text_documents_the_resize_then_effect_workflow()
    {
        Assert.That(EffectText.Help, Does.Contain("Image › Resize").And.Contain("Effects › Photo › AI Upscale").And.Contain("Nearest Neighbor"));
        Assert.That(EffectText.ScaleName(ScaleChoice.X3), Is.EqualTo("3×"));
        Assert.That(EffectText.Help, Does.Contain("Automatic").And.Contain("upscaler models add").And.Contain("no denoise control"));
        Assert.That(EffectText.Help, Does.Contain("Restore faces").And.Contain("Face strength"));
    }
}

public class EngineHostTests
{
    [Test]
    public void DirectML_is_looked_for_beside_the_effect_then_in_the_runtime_folder()
    {
        var candidates = EngineHost.DirectMLCandidates("fx", System.Runtime.InteropServices.Architecture.X64).ToArray();
        Assert.That(candidates, Is.EqualTo(new[] { Path.Combine("fx", "DirectML.dll"), Path.Combine("fx", "runtimes", "win-x64", "native", "DirectML.dll") }));
    }

    [Test]
    public void Nothing_is_preloaded_off_Windows_or_without_the_file() =>
        Assert.That(EngineHost.PreloadDirectML(TestCanvases.PluginDirectory), Is.False);
}
