namespace Upscaler.Core;

/// <summary>Process-wide engine settings, given once to <see cref="UpscalerServiceCollectionExtensions.AddUpscaler"/>.</summary>
public sealed class UpscalerSettings
{
    /// <summary>Folder holding <c>manifest.json</c> and the model files. Defaults to <c>models/</c> beside the application.</summary>
    public string ModelsDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>Memory one tile's inference may use when tiles are sized automatically.</summary>
    public long TileMemoryBudgetBytes { get; set; } = 512L << 20;

    /// <summary>Threads ONNX Runtime uses inside one inference on the CPU; 0 lets it choose (one per physical core).</summary>
    public int CpuThreads { get; set; }
}
