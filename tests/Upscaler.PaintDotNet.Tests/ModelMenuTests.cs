using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;
using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

/// <summary>
/// The effect's model drop-down from the real engine's catalog: the models beside the effect plus one the
/// user added (a foreign model without a denoise input, registered in a scratch per-user folder).
/// </summary>
public class ModelMenuTests
{
    private string _userModels = null!;
    private EngineHost _host = null!;

    [OneTimeSetUp]
    public void RegisterAUserModelAndStartTheEngine()
    {
        _userModels = Path.Combine(Path.GetTempPath(), "upscaler-pdn-user-models-" + Guid.NewGuid().ToString("N"));
        using (var services = new ServiceCollection().AddUpscaler(s =>
               {
                   s.ModelsDirectory = Path.Combine(TestCanvases.PluginDirectory, "models");
                   s.UserModelsDirectory = _userModels;
               }).BuildServiceProvider())
        {
            services.GetRequiredService<IModelRegistry>().Add(new ModelRegistration
            {
                Id = "my-gain",
                Kind = ModelKind.Anime,
                OnnxFile = Path.Combine(AppContext.BaseDirectory, "foreign", "gain-x2.onnx"),
                RangeMax = 255,
                Order = ChannelOrder.Bgr,
                Description = "channel gains",
            });
        }
        _host = EngineHost.ForPluginDirectory(TestCanvases.PluginDirectory, _userModels);
    }

    [OneTimeTearDown]
    public void CleanUp()
    {
        _host.Dispose();
        Directory.Delete(_userModels, recursive: true);
    }

    [Test]
    public void Lists_installed_kinds_then_every_model_by_id_with_its_description()
    {
        var menu = ModelMenu.For(_host.Upscaler);

        Assert.That(menu.Entries.Select(e => e.Value), Is.EqualTo(new[] { "general", "anime", "test-x2", "test-x4", "my-gain" }));
        Assert.That(menu.Entries[0].Label, Is.EqualTo("General photos, faithful (x2, x4)"));
        Assert.That(menu.Entries[1].Label, Is.EqualTo("Anime and art (x2)"));
        Assert.That(menu.Entries[2].Label, Does.StartWith("test-x2: test model x2"));
        Assert.That(menu.Entries[4].Label, Is.EqualTo("my-gain: channel gains (no denoise control)"));
        Assert.That(menu.DefaultIndex, Is.Zero);
        Assert.That(menu.WithoutDenoise, Is.EqualTo(new[] { 1, 4 }));
    }

    [Test]
    public void Denoise_controls_are_off_for_models_without_one_and_the_strength_while_automatic()
    {
        var menu = ModelMenu.For(_host.Upscaler);

        Assert.That(menu.EnabledDenoiseControls(0, automatic: true), Is.EqualTo((true, false)));
        Assert.That(menu.EnabledDenoiseControls(0, automatic: false), Is.EqualTo((true, true)));
        Assert.That(menu.EnabledDenoiseControls(4, automatic: true), Is.EqualTo((false, false)));
        Assert.That(menu.EnabledDenoiseControls(4, automatic: false), Is.EqualTo((false, false)));
    }

    [Test]
    public void A_row_that_is_gone_is_a_one_line_options_error()
    {
        var menu = ModelMenu.For(_host.Upscaler);

        Assert.That(menu[4].Value, Is.EqualTo("my-gain"));
        var e = Assert.Throws<InvalidOptionsException>(() => _ = menu[5]);
        Assert.That(e!.Message, Does.Contain("choose the model again").And.Not.Contain("\n"));
    }

    [Test]
    public void An_unreadable_catalog_still_gives_a_menu_and_the_upscale_reports_it()
    {
        using var broken = EngineHost.ForPluginDirectory(Path.Combine(Path.GetTempPath(), "no-such-plugin-" + Guid.NewGuid().ToString("N")), null);

        var menu = ModelMenu.For(broken.Upscaler);

        Assert.That(menu.Entries.Select(e => e.Value), Is.EqualTo(new[] { "general" }));
        Assert.ThrowsAsync(Is.InstanceOf<ModelCatalogException>(), () => new EnlargedCanvasUpscaler(broken.Upscaler)
            .UpscaleAsync(TestCanvases.Random(8, 8), EffectSettings.Default with { Device = DeviceChoice.Cpu }, null, CancellationToken.None));
    }

    [Test]
    public async Task The_users_model_runs_by_id_and_automatic_denoise_does_nothing_for_it()
    {
        var menu = ModelMenu.For(_host.Upscaler);
        var settings = EffectSettings.Default with { Model = menu[4].Value, Device = DeviceChoice.Cpu };
        var original = BgraCanvas.Create(10, 6);
        for (int i = 0; i < original.Data.Length; i += 4)
            (original.Data[i], original.Data[i + 1], original.Data[i + 2], original.Data[i + 3]) = ((byte)40, (byte)100, (byte)200, (byte)255);
        DenoiseDecision? chosen = null;

        var result = await new EnlargedCanvasUpscaler(_host.Upscaler).UpscaleAsync(TestCanvases.NearestEnlarge(original, 2), settings, null,
            CancellationToken.None, decision => chosen = decision);

        Assert.That((chosen?.ModelTakesDenoise, chosen?.Measured), Is.EqualTo(((bool?)false, (DenoiseSuggestion?)null)));
        // The model halves blue and quarters red, in its BGR order: B 40 -> 20, G stays, R 200 -> 50.
        Assert.That(result.Data.AsSpan(result.Offset(7, 5), 4).ToArray(), Is.EqualTo(new byte[] { 20, 100, 50, 255 }));
    }
}
