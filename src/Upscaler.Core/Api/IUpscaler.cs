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

    /// <summary>
    /// Measures the noise and compression of <paramref name="image"/> and suggests the denoise strength
    /// for it (what "auto" means). Reads a sample of the image, so it is quick on any size.
    /// </summary>
    /// <param name="jpegQuality">The quality (1..100) of the JPEG file the image was decoded from, when known;
    /// without it the compression is judged from the pixels' 8x8 block artefacts.</param>
    /// <exception cref="InvalidOptionsException">the quality is outside 1..100.</exception>
    DenoiseSuggestion SuggestDenoise(PixelImage image, int? jpegQuality = null);

    /// <summary>
    /// The faces that face restoration (<see cref="UpscaleOptions.Faces"/>) finds in <paramref name="image"/>,
    /// best first; empty when no face detector is installed.
    /// </summary>
    /// <exception cref="UpscalerException">the detector cannot be loaded or run.</exception>
    IReadOnlyList<DetectedFace> FindFaces(PixelImage image, ComputeDevice device = ComputeDevice.Auto, CancellationToken cancellationToken = default);
}
