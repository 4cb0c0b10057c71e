using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Upscaler.Core.Analysis;
using Upscaler.Core.Catalog;
using Upscaler.Core.Faces;
using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;
using Upscaler.Core.Tiling;

namespace Upscaler.Core.Pipeline;

/// <summary>
/// The one implementation of <see cref="IUpscaler"/>. It owns the order of work: choose the model
/// passes, load their sessions (verifying the files) before touching pixels, find the faces, fill
/// transparent colour, run the colour passes and the alpha passes tile by tile, resample to the exact
/// size, and paste the restored faces over the result.
/// </summary>
internal sealed class UpscaleEngine(
    ModelCatalog catalog,
    SessionCache sessions,
    DeviceSelector devices,
    TileSizer tiles,
    FaceRestorer faces,
    ILogger<UpscaleEngine>? logger = null) : IUpscaler
{
    private readonly ILogger _logger = logger ?? NullLogger<UpscaleEngine>.Instance;

    public IReadOnlyList<ModelInfo> Models =>
        catalog.Models.Select(m => m.ToInfo(catalog.DirectoryOf(m))).ToList();

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

    public DenoiseSuggestion SuggestDenoise(PixelImage image, int? jpegQuality = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        return DenoiseAdvisor.Suggest(image, jpegQuality);
    }

    public IReadOnlyList<DetectedFace> FindFaces(PixelImage image, ComputeDevice device = ComputeDevice.Auto, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var detector = faces.Detector(devices.Resolve(device));
        if (detector is null)
            return [];
        return detector.Detect(PixelImageReader.Colour(image), cancellationToken)
            .Select(f => new DetectedFace(f.Score, f.Box.X0, f.Box.Y0, f.Box.X1, f.Box.Y1, f.LeftEye.X, f.LeftEye.Y, f.RightEye.X, f.RightEye.Y))
            .ToList();
    }

    private PixelImage Upscale(PixelImage input, UpscaleOptions options, OutputSize target, IProgress<UpscaleProgress>? progress, CancellationToken cancellationToken)
    {
        var (passes, facePlan) = PlanPasses(input, options);

        var colour = PixelImageReader.Colour(input);
        var faceCrops = facePlan is null ? [] : FaceRestorer.Find(facePlan, colour, cancellationToken);
        var alpha = PixelImageReader.Alpha(input);
        int? constantAlpha = alpha is null ? null : ConstantValue(input);
        bool alphaNeedsModel = alpha is not null && constantAlpha is null;
        if (alphaNeedsModel)
            TransparentColourFill.Apply(colour, alpha!);

        int perChain = passes.Sum(p => p.TileCount);
        var counter = new TileCounter((alphaNeedsModel ? 2 * perChain : perChain) + faceCrops.Count, progress);
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

        if (facePlan is not null && faceCrops.Count > 0)
            faces.Restore(facePlan, faceCrops, output, input.Width, input.Height, (float)options.Denoise, counter.TileDone, cancellationToken);
        return output;
    }

    /// <summary>Resolves the model chain and opens every session first (the face restoration's too), so a bad model fails before any work.</summary>
    private (List<TiledPass> Passes, FacePlan? Faces) PlanPasses(PixelImage input, UpscaleOptions options)
    {
        var device = devices.Resolve(options.Device);
        var passes = new List<TiledPass>();
        int width = input.Width, height = input.Height;
        foreach (var model in ModelChain(options))
        {
            var tile = tiles.Choose(model, device, options.TileSize, width, height);
            var session = sessions.Get(model, device, tile.Pinned ? tile.Edge : null);
            var statistics = model.Statistics is null ? null : sessions.GetStatistics(model, device);
            passes.Add(TiledPass.Create(session, width, height, tile.Edge, statistics));
            width *= model.Scale;
            height *= model.Scale;
            if ((long)width * height * 3 > Array.MaxLength)
                throw new ImageTooLargeException($"a x{options.Scale} upscale of {input.Width}x{input.Height} needs a working image beyond memory limits");
        }
        return (passes, faces.Plan(options, device, passes.Select(p => p.Session.Model).ToList()));
    }

    /// <summary>
    /// The models to run in order. A model id means that model alone, repeated as the factor needs; a
    /// kind means the chain of its scales (largest first) that reaches the factor with the least excess.
    /// </summary>
    private IEnumerable<ModelDescriptor> ModelChain(UpscaleOptions options)
    {
        if (options.ModelId is { } id)
        {
            var model = catalog.GetById(id);
            return ScalePlan.Choose([model.Scale], options.Scale).Select(_ => model);
        }
        var scales = catalog.ScalesFor(options.Model);
        if (scales.Count == 0)
        {
            var kinds = catalog.Models.Select(m => ModelCatalog.KindName(m.Kind)).Distinct();
            throw new ModelCatalogException(
                $"no {ModelCatalog.KindName(options.Model)} model is installed (installed kinds: {string.Join(", ", kinds)})");
        }
        return ScalePlan.Choose(scales, options.Scale).Select(scale => catalog.Get(options.Model, scale));
    }

    /// <summary>
    /// Runs the passes in order; only the first sees the user's denoise strength, since later passes
    /// read the first's already-clean output. The last pass writes straight into the output when its
    /// size is already exact; otherwise it streams through the resampler into it.
    /// </summary>
    private void RunChain(List<TiledPass> passes, ImagePlanes source, float denoise, IPlaneWriter output, TileCounter counter, CancellationToken cancellationToken)
    {
        for (int i = 0; i < passes.Count; i++)
        {
            int width = passes[i].Width * passes[i].Scale, height = passes[i].Height * passes[i].Scale;
            bool last = i == passes.Count - 1;
            bool exact = width == output.Width && height == output.Height;
            IPlaneWriter Destination() => !last ? new ImagePlanes(3, width, height)
                : exact ? output
                : new LanczosResampler(3, width, height, output);
            (passes[i], var written) = RunSplittingOnOutOfMemory(passes[i], source, i == 0 ? denoise : 0f, Destination, counter, cancellationToken);
            if (!last)
                source = (ImagePlanes)written;
        }
    }

    /// <summary>
    /// Runs a pass; when the device runs out of memory, retries the whole pass with tiles half the size
    /// (chaiNNer's split-on-out-of-memory), down to <see cref="TileSizer.MinAutomaticEdge"/>. Returns the
    /// pass that succeeded, so the alpha chain starts from the tile size that fits, and the destination it
    /// wrote (a fresh one per try: a streaming resampler must see every row exactly once).
    /// </summary>
    private (TiledPass, IPlaneWriter) RunSplittingOnOutOfMemory(TiledPass pass, ImagePlanes source, float denoise, Func<IPlaneWriter> destination,
        TileCounter counter, CancellationToken cancellationToken)
    {
        while (true)
        {
            int before = counter.Done;
            var written = destination();
            try
            {
                pass.Run(source, denoise, written, counter.TileDone, cancellationToken);
                return (pass, written);
            }
            catch (OutOfDeviceMemoryException e) when (TileSizer.Smaller(pass.Session.Model, pass.TileSize, pass.Width, pass.Height) is int smaller)
            {
                var model = pass.Session.Model;
                _logger.LogWarning("out of memory with {Edge} px tiles; retrying {Model} with {Smaller} px tiles ({Reason})",
                    pass.TileSize == 0 ? Math.Max(pass.Width, pass.Height) : pass.TileSize, model.Id, smaller, e.Reason);
                var session = pass.Session.FixedTile is null ? pass.Session : sessions.Get(model, pass.Session.Device, smaller);
                var retry = TiledPass.Create(session, pass.Width, pass.Height, smaller,
                    model.Statistics is null ? null : sessions.GetStatistics(model, pass.Session.Device));
                counter.Replan(counter.Done - before, pass.TileCount, retry.TileCount);
                pass = retry;
            }
        }
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
        private int _total = total;

        public int Done { get; private set; }

        public void Report() => progress?.Report(new UpscaleProgress(Done, _total));

        public void TileDone()
        {
            Done++;
            Report();
        }

        /// <summary>A pass restarts with a different tile count: its finished tiles no longer count.</summary>
        public void Replan(int doneInPass, int oldCount, int newCount)
        {
            Done -= doneInPass;
            _total += newCount - oldCount;
            Report();
        }
    }
}
