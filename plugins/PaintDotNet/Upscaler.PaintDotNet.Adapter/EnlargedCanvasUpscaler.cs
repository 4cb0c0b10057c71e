using Upscaler.Core;

namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// The effect's whole computation, minus Paint.NET: rebuild the original from the enlarged canvas,
/// upscale it once with the engine, and lay the result over the canvas.
/// </summary>
public sealed class EnlargedCanvasUpscaler(IUpscaler engine)
{
    /// <summary>
    /// Returns a new canvas the size of <paramref name="enlarged"/>: the upscaled original over the
    /// whole blocks, and the canvas's own pixels in the remainder strip (see <see cref="CanvasReconstruction"/>).
    /// </summary>
    /// <param name="denoiseChosen">Told the strength the upscale runs with (what automatic denoise measured and chose).</param>
    /// <exception cref="UpscalerException">bad settings, model problems, a canvas too small or too large.</exception>
    /// <exception cref="OperationCanceledException">the token was cancelled.</exception>
    public async Task<BgraCanvas> UpscaleAsync(BgraCanvas enlarged, EffectSettings settings, IProgress<UpscaleProgress>? progress, CancellationToken cancellationToken,
        Action<DenoiseDecision>? denoiseChosen = null)
    {
        var options = settings.ToUpscaleOptions();
        int factor = settings.Factor;
        var original = CanvasReconstruction.Reconstruct(enlarged, factor);
        cancellationToken.ThrowIfCancellationRequested();

        // Automatic denoise measures the rebuilt original, the picture the model sees (Paint.NET tells an
        // effect nothing about the file, so there is no JPEG quality hint: blockiness stands in for it).
        var image = PixelConversion.ToEngine(original);
        var decision = AutoDenoise.Decide(engine, image, options, settings.Denoise);
        denoiseChosen?.Invoke(decision);
        var upscaled = await engine.UpscaleAsync(image, options with { Denoise = decision.Strength }, progress, cancellationToken).ConfigureAwait(false);
        int width = original.Width * factor, height = original.Height * factor;
        if (upscaled.Width != width || upscaled.Height != height)
            throw new UpscalerException($"the engine returned {upscaled.Width}x{upscaled.Height} px for a {width}x{height} px area");

        var result = enlarged.Clone();
        var pixels = PixelConversion.FromEngine(upscaled);
        int rowBytes = width * BgraCanvas.BytesPerPixel;
        for (int y = 0; y < height; y++)
            Buffer.BlockCopy(pixels.Data, y * rowBytes, result.Data, result.Offset(0, y), rowBytes);
        return result;
    }
}
