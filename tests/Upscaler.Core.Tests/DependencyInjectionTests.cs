using Microsoft.Extensions.DependencyInjection;

namespace Upscaler.Core.Tests;

[TestFixture]
public class DependencyInjectionTests
{
    [Test]
    public void AddUpscaler_registers_one_engine_for_the_whole_process()
    {
        var services = new ServiceCollection().AddUpscaler(s => s.ModelsDirectory = Engines.TestModels);
        using var provider = services.BuildServiceProvider();

        var first = provider.GetRequiredService<IUpscaler>();
        Assert.That(provider.GetRequiredService<IUpscaler>(), Is.SameAs(first));
        Assert.That(provider.GetRequiredService<UpscalerSettings>().ModelsDirectory, Is.EqualTo(Engines.TestModels));
    }

    [Test]
    public void The_public_surface_is_small()
    {
        var exported = typeof(IUpscaler).Assembly.GetExportedTypes().Select(t => t.Name).Order().ToArray();
        Assert.That(exported, Is.EquivalentTo(new[]
        {
            "AutoDenoise", "ChannelOrder", "ComputeDevice", "DenoiseDecision", "DenoiseSetting", "DenoiseSuggestion", "DetectedFace", "DeviceUnavailableException",
            "ErrorText", "FaceMode", "IModelRegistry", "ImageTooLargeException", "InferenceFailedException",
            "InvalidOptionsException", "IUpscaler", "ModelCatalogException", "ModelInfo", "ModelKind", "ModelOrigin",
            "ModelRegistration", "OutOfDeviceMemoryException", "PooledValueSpec", "OutputSize", "PixelImage", "PixelLayout", "UpscaleOptions",
            "UpscaleProgress", "UpscalerException", "UpscalerServiceCollectionExtensions", "UpscalerSettings", "UserModelsFolder",
        }));
    }
}
