using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Upscaler.Core;

namespace Upscaler.Bridge.Tests;

/// <summary>
/// An engine that answers instantly with a blank image of the right size: protocol tests (and the
/// fuzzer's thousands of frames) exercise the bridge, not inference. Only "general" is installed.
/// </summary>
internal sealed class FakeUpscaler : IUpscaler
{
    public TaskCompletionSource? Gate { get; init; }

    public IReadOnlyList<ModelInfo> Models { get; init; } = [new("fake-x2", ModelKind.General, 2, "fake.onnx", "fake")];

    /// <summary>How often <see cref="SuggestDenoise"/> measured an image.</summary>
    public int Suggestions { get; private set; }

    /// <summary>The options of the last request that reached the engine.</summary>
    public UpscaleOptions? LastOptions { get; private set; }

    public async Task<PixelImage> UpscaleAsync(PixelImage input, UpscaleOptions options, IProgress<UpscaleProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        LastOptions = options;
        options.Validate();
        if (options.ModelId is { } id && Models.All(m => m.Id != id))
            throw new ModelCatalogException($"no model with id \"{id}\" is installed (installed: {string.Join(", ", Models.Select(m => m.Id))})");
        var size = OutputSize.For(input.Width, input.Height, options.Scale);
        size.EnsureWithinLimits();
        if (options.ModelId is null && Models.All(m => m.Kind != options.Model))
            throw new ModelCatalogException($"no {options.Model.ToString().ToLowerInvariant()} model is installed");
        progress?.Report(new UpscaleProgress(0, 1));
        if (Gate is not null)
            await Gate.Task.WaitAsync(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        progress?.Report(new UpscaleProgress(1, 1));
        return PixelImage.Create(size.Width, size.Height, input.Layout, input.BitDepth);
    }

    /// <summary>A fixed, recognisable suggestion, so tests can see it travel through the protocol.</summary>
    public DenoiseSuggestion SuggestDenoise(PixelImage image, int? jpegQuality = null)
    {
        Suggestions++;
        return new(0.35, 3.1, jpegQuality, 0.2);
    }

    public IReadOnlyList<DetectedFace> FindFaces(PixelImage image, ComputeDevice device = ComputeDevice.Auto, CancellationToken cancellationToken = default) => [];
}

internal static class Servers
{
    public static string TestModels => Path.Combine(TestContext.CurrentContext.TestDirectory, "TestModels");
    public static string SlowModels => Path.Combine(TestModels, "slow");

    /// <summary>Runs a bridge server over a finished input; returns its exit code and everything it wrote.</summary>
    public static async Task<(int Code, byte[] Output)> RunAsync(byte[] input, IUpscaler? upscaler = null, TimeSpan? timeout = null)
    {
        var output = new MemoryStream();
        var server = new BridgeServer(upscaler ?? new FakeUpscaler(), new MemoryStream(input), output, NullLogger.Instance);
        int code = await server.RunAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(30));
        return (code, output.ToArray());
    }

    public static IUpscaler RealEngine(string modelsDirectory)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddUpscaler(s =>
        {
            s.ModelsDirectory = modelsDirectory;
            s.UserModelsDirectory = null;
        });
        return services.BuildServiceProvider().GetRequiredService<IUpscaler>();
    }
}
