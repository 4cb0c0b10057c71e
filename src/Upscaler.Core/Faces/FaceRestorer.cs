using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Upscaler.Core.Catalog;
using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;
using Upscaler.Core.Tiling;

namespace Upscaler.Core.Faces;

/// <summary>One face to restore: where it is and its canonical crop, cut from the input.</summary>
internal sealed record FaceCrop(FaceDetection Face, AlignedFace Alignment, ImagePlanes Crop);

/// <summary>The sessions one upscale restores faces with, opened (and verified) before any pixel work.</summary>
internal sealed record FacePlan(FaceDetector Detector, ModelSession Model, int TileEdge, double Strength);

/// <summary>
/// Face restoration on top of the general upscale: finds the faces in the input, cuts each to its
/// canonical crop, upscales the crops with the face model and pastes them over the general result.
/// It runs when <see cref="UpscaleOptions.Faces"/> is auto, the strength is above 0, the main models are
/// general ones (a face pasted over a GAN's or an anime model's texture would not match it), a face
/// detector is installed and a face model reaches the factor in one pass; otherwise the image is
/// upscaled exactly as without it.
/// </summary>
internal sealed class FaceRestorer(ModelCatalog catalog, SessionCache sessions, TileSizer tiles, ILogger<FaceRestorer>? logger = null)
{
    private readonly ILogger _logger = logger ?? NullLogger<FaceRestorer>.Instance;

    public FacePlan? Plan(UpscaleOptions options, ComputeDevice device, IReadOnlyList<ModelDescriptor> chain)
    {
        if (options.Faces == FaceMode.Off || options.FaceStrength <= 0 || chain.Any(m => m.Kind != ModelKind.General))
            return null;
        var detector = Detector(device);
        if (detector is null)
            return null;
        int needed = (int)Math.Ceiling(options.Scale - 1e-9);
        var model = catalog.Models.Where(m => m.Kind == ModelKind.Face && m.Scale >= needed).OrderBy(m => m.Scale).FirstOrDefault();
        if (model is null)
        {
            _logger.LogDebug("faces are upscaled by the general model: no face model reaches x{Scale} in one pass", needed);
            return null;
        }
        var tile = tiles.Choose(model, device, options.TileSize);
        var session = sessions.Get(model, device, tile.Pinned ? tile.Edge : null);
        return new FacePlan(detector, session, tile.Edge, options.FaceStrength);
    }

    /// <summary>The installed face detector on a resolved device, or null when none is installed.</summary>
    public FaceDetector? Detector(ComputeDevice device) =>
        FaceDetectorManifest.Read(catalog.Directory) is { } model ? new FaceDetector(sessions.GetDetectors(model, device)) : null;

    /// <summary>The faces of the input and their canonical crops.</summary>
    public static IReadOnlyList<FaceCrop> Find(FacePlan plan, ImagePlanes colour, CancellationToken cancellationToken)
    {
        var crops = new List<FaceCrop>();
        foreach (var face in plan.Detector.Detect(colour, cancellationToken))
        {
            var aligned = FaceAlignment.For(face);
            crops.Add(new FaceCrop(face, aligned, AlignedCrop.Cut(colour, aligned)));
        }
        return crops;
    }

    /// <summary>Upscales each crop with the face model and pastes it over <paramref name="output"/>.</summary>
    public void Restore(FacePlan plan, IReadOnlyList<FaceCrop> faces, PixelImage output, int inputWidth, int inputHeight, float denoise,
        Action faceDone, CancellationToken cancellationToken)
    {
        var model = plan.Model.Model;
        double scaleX = output.Width / (double)inputWidth, scaleY = output.Height / (double)inputHeight;
        for (int i = 0; i < faces.Count; i++)
        {
            var face = faces[i];
            int side = face.Alignment.Side;
            var pass = TiledPass.Create(plan.Model, side, side, plan.TileEdge);
            var restored = new ImagePlanes(3, side * model.Scale, side * model.Scale);
            // The arena is kept from face to face (re-faulting it cost each face a third of its time): IdleArenas.
            pass.Run(face.Crop, denoise, restored, () => { }, cancellationToken);
            FacePaste.Paste(output, restored, face.Alignment, model.Scale, scaleX, scaleY, plan.Strength);
            _logger.LogDebug("restored a face at {Box} (score {Score:0.00})", face.Face.Box, face.Face.Score);
            faceDone();
        }
    }
}
