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

    public TileChoice Choose(ModelDescriptor model, ComputeDevice device, int? requested)
    {
        bool pinned = device == ComputeDevice.Gpu || settings.FixedTileShapesOnCpu;
        if (requested is int size && !(pinned && size == 0))
            return new TileChoice(AtLeastBlendable(model, size), pinned);
        long budget = device == ComputeDevice.Gpu ? _gpuBudget.Value ?? settings.TileMemoryBudgetBytes : settings.TileMemoryBudgetBytes;
        return new TileChoice(AtLeastBlendable(model, FromBudget(model, budget)), pinned);
    }

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
        // Bytes of inference memory per padded input pixel, float32 throughout: the input (4 channels
        // with the denoise plane), two live feature maps, the pre-shuffle map and the output (3*s^2 each).
        long perPixel = 4L * (4 + 2 * model.Features + 2 * 3 * model.Scale * model.Scale);
        int padded = (int)Math.Sqrt(Math.Max(1, budgetBytes / perPixel));
        int edge = padded - 2 * model.Tiling.Margin;
        // Multiples of 16 keep tile shapes few and friendly to vectorised kernels.
        edge = edge / 16 * 16;
        return Math.Clamp(edge, MinAutomaticEdge, 2048);
    }
}
