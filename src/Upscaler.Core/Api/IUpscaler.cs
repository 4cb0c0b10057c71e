namespace Upscaler.Core;

/// <summary>
/// The engine every front end uses (command line, GIMP bridge, Paint.NET effect).
/// Resolve it from the container set up by <see cref="UpscalerServiceCollectionExtensions.AddUpscaler"/>.
/// </summary>
public interface IUpscaler
{
    /// <summary>The model catalog. Throws <see cref="ModelCatalogException"/> if the manifest cannot be read.</summary>
    IReadOnlyList<ModelInfo> Models { get; }

    /// <summary>
    /// Upscales <paramref name="input"/> to <see cref="OutputSize.For"/> its size and the scale, keeping its
    /// channel layout and bit depth. Progress counts tiles; cancellation aborts a running inference.
    /// </summary>
    /// <exception cref="UpscalerException">bad options, model problems, sizes over the limits.</exception>
    /// <exception cref="OperationCanceledException">the token was cancelled.</exception>
    Task<PixelImage> UpscaleAsync(
        PixelImage input,
        UpscaleOptions options,
        IProgress<UpscaleProgress>? progress = null,
        CancellationToken cancellationToken = default);
}
