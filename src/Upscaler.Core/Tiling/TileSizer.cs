using Upscaler.Core.Catalog;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tiling;

/// <summary>
/// A pass's tile edge in input pixels (0 = the whole image in one tile) and whether its session is
/// pinned to that one shape, as GPU sessions are (DirectML compiles its shaders per shape).
/// </summary>
internal readonly record struct TileChoice(int Edge, bool Pinned);

/// <summary>
/// The one place tile sizes are decided. A size the user asks for is used as it is (a pinned session
/// asked for the whole image gets the automatic size, since it can run one shape only); otherwise the
/// edge comes from a memory budget: the GPU's own (a share of the card's memory) or the CPU's setting.
/// After an out-of-memory failure, <see cref="Smaller"/> gives the next edge to try.
/// </summary>
internal sealed class TileSizer(UpscalerSettings settings)
{
    /// <summary>Smallest automatic edge, and the floor for out-of-memory splitting.</summary>
    public const int MinAutomaticEdge = UpscaleOptions.MinTileSize * 4;

    // The card does not change while the process runs; DXGI is asked once, when a GPU tile is first sized.
    private readonly Lazy<long?> _gpuBudget = new(AdapterMemory.TileBudgetBytes);

    /// <param name="width">The pass's input width, when known: a cross-faded model whose whole-image pass fits the budget runs as one tile.</param>
    /// <param name="height">The pass's input height.</param>
    public TileChoice Choose(ModelDescriptor model, ComputeDevice device, int? requested, int width = 0, int height = 0)
    {
        bool pinned = device == ComputeDevice.Gpu || settings.FixedTileShapesOnCpu;
        if (requested is int size && !(pinned && size == 0))
            return new TileChoice(AtLeastBlendable(model, size), pinned);
        long budget = device == ComputeDevice.Gpu ? _gpuBudget.Value ?? settings.TileMemoryBudgetBytes : settings.TileMemoryBudgetBytes;
        if (model.Tiling.Blended && device == ComputeDevice.Cpu)
            // Only a measured need gets more than the base budget: the estimate from the channel count misses
            // networks that upsample before their last convolutions by several times (x4plus: 2 KB for 13).
            budget = model.MemoryPerPixel is null
                ? Math.Min(settings.BlendedTileMemoryBudgetBytes, UpscalerSettings.BaseBlendedBudgetBytes)
                : settings.BlendedTileMemoryBudgetBytes;
        // Cross-faded tiles compute their overlap twice and one unpadded window is the network's own
        // pass: an image that fits is not cut at all.
        if (model.Tiling.Blended && !pinned && width > 0 && height > 0)
            return new TileChoice((long)width * height * BytesPerPixel(model) <= budget ? 0 : LeastRecomputed(model, budget, width, height), pinned);
        return new TileChoice(AtLeastBlendable(model, FromBudget(model, budget)), pinned);
    }

    /// <summary>
    /// For cross-faded tiles of an image of known size: the edge whose grid computes the fewest pixels in
    /// all (cells plus the overlaps read twice) with every window inside the budget. A square from the
    /// budget alone can cost twice what a better cut does on a small image (480x320 with a 48 px overlap:
    /// four 336x256 windows instead of two 336x320 ones).
    /// </summary>
    private static int LeastRecomputed(ModelDescriptor model, long budget, int width, int height)
    {
        long maxWindow = budget / BytesPerPixel(model);
        int margin = model.Tiling.Margin, floor = AtLeastBlendable(model, MinAutomaticEdge);
        int best = AtLeastBlendable(model, FromBudget(model, budget));
        long bestCost = long.MaxValue;
        for (int edge = (Math.Max(width, height) + 15) / 16 * 16; edge >= floor; edge -= 16)
        {
            // TileGrid's geometry: near-equal cells, windows of the largest cell plus the overlap, inside the image.
            int columns = (width + edge - 1) / edge, rows = (height + edge - 1) / edge;
            long windowW = Math.Min((width + columns - 1) / columns + 2 * margin, width);
            long windowH = Math.Min((height + rows - 1) / rows + 2 * margin, height);
            long cost = windowW * windowH * columns * rows;
            if (windowW * windowH <= maxWindow && cost < bestCost)
                (best, bestCost) = (edge, cost);
        }
        return best;
    }

    /// <summary>
    /// Bytes of inference memory per input pixel: the manifest's measured <c>memoryPerPixel</c>, else an
    /// estimate for float32 networks that work at the input's resolution: the input (4 channels with the
    /// denoise plane), two live feature maps, the pre-shuffle map and the output (3*s^2 each). Networks that
    /// upsample before their last convolutions (RRDBNet: 64 channels at 16x the pixels) need the measurement.
    /// </summary>
    public static long BytesPerPixel(ModelDescriptor model) =>
        model.MemoryPerPixel is double measured ? (long)Math.Ceiling(measured) : 4L * (4 + 2 * model.Features + 2 * 3 * model.Scale * model.Scale);

    /// <summary>
    /// Half the edge that ran out of memory (for a whole-image pass, half the image's longer side), or
    /// null when tiles are already as small as is sensible.
    /// </summary>
    public static int? Smaller(ModelDescriptor model, int edge, int imageWidth, int imageHeight)
    {
        int current = edge == 0 ? Math.Max(imageWidth, imageHeight) : edge;
        int floor = AtLeastBlendable(model, MinAutomaticEdge);
        int next = current / 2 / 16 * 16;
        return next >= floor ? next : current > floor ? floor : null;
    }

    /// <summary>Cross-faded tiles need cells at least as wide as the cross-fade (0, the whole image, is fine).</summary>
    private static int AtLeastBlendable(ModelDescriptor model, int edge) =>
        model.Tiling.Blended && edge != 0 ? Math.Max(edge, BlendedTiledPass.MinTileEdge(model.Tiling.Margin)) : edge;

    private static int FromBudget(ModelDescriptor model, long budgetBytes)
    {
        long perPixel = BytesPerPixel(model);
        int padded = (int)Math.Sqrt(Math.Max(1, budgetBytes / perPixel));
        int edge = padded - 2 * model.Tiling.Margin;
        // Multiples of 16 keep tile shapes few and friendly to vectorised kernels.
        edge = edge / 16 * 16;
        return Math.Clamp(edge, MinAutomaticEdge, 2048);
    }
}
