using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Upscaler.Core.Catalog;
using Upscaler.Core.Faces;
using Upscaler.Core.Inference;
using Upscaler.Core.Pipeline;
using Upscaler.Core.Tiling;

namespace Upscaler.Core;

public static class UpscalerServiceCollectionExtensions
{
    /// <summary>
    /// Registers the engine as a singleton <see cref="IUpscaler"/>: one model catalog and one cache of
    /// inference sessions per process, so models load once however many images a front end sends.
    /// </summary>
    public static IServiceCollection AddUpscaler(this IServiceCollection services, Action<UpscalerSettings>? configure = null)
    {
        // Every front end comes through here before ONNX Runtime's environment exists.
        OnnxRuntimeTelemetry.TurnOff();
        var settings = new UpscalerSettings();
        configure?.Invoke(settings);
        services.TryAddSingleton(settings);
        services.TryAddSingleton<ModelCatalog>();
        services.TryAddSingleton<PrecisionPolicy>();
        services.TryAddSingleton<DeviceSelector>();
        services.TryAddSingleton<TileSizer>();
        services.TryAddSingleton<SessionCache>();
        services.TryAddSingleton<FaceRestorer>();
        services.TryAddSingleton<IUpscaler, UpscaleEngine>();
        services.TryAddSingleton<IModelRegistry, ModelRegistry>();
        return services;
    }
}
