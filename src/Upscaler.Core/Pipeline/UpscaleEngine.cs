using Upscaler.Core.Catalog;
using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;
using Upscaler.Core.Tiling;

namespace Upscaler.Core.Pipeline;

/// <summary>
/// The one implementation of <see cref="IUpscaler"/>. It owns the order of work: choose the model
/// passes, load their sessions (verifying the files) before touching pixels, fill transparent colour,
/// run the colour passes and the alpha passes tile by tile, and resample to the exact size.
/// </summary>
internal sealed class UpscaleEngine(ModelCatalog catalog, SessionCache sessions, UpscalerSettings settings) : IUpscaler
{
    public IReadOnlyList<ModelInfo> Models =>
        catalog.Models.Select(m => m.ToInfo(catalog.Directory)).ToList();

    public Task<PixelImage> UpscaleAsync(
        PixelImage input,
        UpscaleOptions options,
        IProgress<UpscaleProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var target = OutputSize.For(input.Width, input.Height, options.Scale);
        target.EnsureWithinLimits();
        return Task.Run(() => Upscale(input, options, target, progress, cancellationToken), cancellationToken);
    }

    private PixelImage Upscale(PixelImage input, UpscaleOptions options, OutputSize target, IProgress<UpscaleProgress>? progress, CancellationToken cancellationToken)
    {
        var passes = PlanPasses(input, options);

        var colour = PixelImageReader.Colour(input);
        var alpha = PixelImageReader.Alpha(input);
        int? constantAlpha = alpha is null ? null : ConstantValue(input);
        bool alphaNeedsModel = alpha is not null && constantAlpha is null;
        if (alphaNeedsModel)
            TransparentColourFill.Apply(colour, alpha!);

        int perChain = passes.Sum(p => p.TileCount);
        var counter = new TileCounter(alphaNeedsModel ? 2 * perChain : perChain, progress);
        counter.Report();

        var output = PixelImage.Create(target.Width, target.Height, input.Layout, input.BitDepth);
        RunChain(passes, colour, (float)options.Denoise, PixelImageWriter.Colour(output), counter, cancellationToken);
        colour = null;

        if (alphaNeedsModel)
        {
            // Alpha masks are clean, synthetic data: run them at strength 0, the setting for clean input.
            var alphaAsRgb = new ImagePlanes(3, input.Width, input.Height);
            for (int c = 0; c < 3; c++)
                alpha!.Plane(0).CopyTo(alphaAsRgb.Plane(c));
            RunChain(passes, alphaAsRgb, 0f, PixelImageWriter.Alpha(output), counter, cancellationToken);
        }
        else if (constantAlpha is int value)
        {
            PixelImageWriter.FillAlpha(output, value);
        }
        return output;
    }

    /// <summary>Resolves the model chain and opens every session first, so a bad model fails before any work.</summary>
    private List<TiledPass> PlanPasses(PixelImage input, UpscaleOptions options)
    {
        var scales = catalog.ScalesFor(options.Model);
        if (scales.Count == 0)
        {
            var kinds = catalog.Models.Select(m => ModelCatalog.KindName(m.Kind)).Distinct();
            throw new ModelCatalogException(
                $"no {ModelCatalog.KindName(options.Model)} model is installed (catalog {catalog.ManifestPath} has: {string.Join(", ", kinds)})");
        }

        var passes = new List<TiledPass>();
        int width = input.Width, height = input.Height;
        foreach (int scale in ScalePlan.Choose(scales, options.Scale))
        {
            var session = sessions.Get(catalog.Get(options.Model, scale), options.Device, options.TileSize);
            int tileSize = TileSizer.Resolve(options.TileSize, session.Model, settings.TileMemoryBudgetBytes);
            passes.Add(new TiledPass(session, width, height, tileSize));
            width *= scale;
            height *= scale;
            if ((long)width * height * 3 > Array.MaxLength)
                throw new ImageTooLargeException($"a x{options.Scale} upscale of {input.Width}x{input.Height} needs a working image beyond memory limits");
        }
        return passes;
    }

    /// <summary>
    /// Runs the passes in order; only the first sees the user's denoise strength, since later passes
    /// read the first's already-clean output. The last pass writes straight into the output when its
    /// size is already exact; otherwise its result is resampled there.
    /// </summary>
    private static void RunChain(List<TiledPass> passes, ImagePlanes source, float denoise, IPlaneWriter output, TileCounter counter, CancellationToken cancellationToken)
    {
        for (int i = 0; i < passes.Count; i++)
        {
            var pass = passes[i];
            int width = pass.Width * pass.Scale, height = pass.Height * pass.Scale;
            bool last = i == passes.Count - 1;
            bool exact = last && width == output.Width && height == output.Height;
            IPlaneWriter destination = exact ? output : new ImagePlanes(3, width, height);
            pass.Run(source, i == 0 ? denoise : 0f, destination, counter.TileDone, cancellationToken);
            if (exact)
                return; // the model wrote the output itself
            source = (ImagePlanes)destination;
        }
        cancellationToken.ThrowIfCancellationRequested();
        LanczosResampler.Resize(source, output);
    }

    private static int? ConstantValue(PixelImage image)
    {
        int first = image.GetSample(0, 0, image.Channels - 1);
        for (int y = 0; y < image.Height; y++)
            for (int x = 0; x < image.Width; x++)
                if (image.GetSample(x, y, image.Channels - 1) != first)
                    return null;
        return first;
    }

    private sealed class TileCounter(int total, IProgress<UpscaleProgress>? progress)
    {
        private int _done;

        public void Report() => progress?.Report(new UpscaleProgress(_done, total));

        public void TileDone()
        {
            _done++;
            Report();
        }
    }
}
