using Upscaler.Core.Catalog;

namespace Upscaler.Core.Tiling;

/// <summary>Chooses a tile edge from a memory budget when the user leaves the tile size on auto.</summary>
internal static class TileSizer
{
    public static int Resolve(int? requested, ModelDescriptor model, long budgetBytes)
    {
        if (requested is int size)
            return size;

        // Bytes of inference memory per padded input pixel, float32 throughout: the input (4 channels
        // with the denoise plane), two live feature maps, the pre-shuffle map and the output (3*s^2 each).
        long perPixel = 4L * (4 + 2 * model.Features + 2 * 3 * model.Scale * model.Scale);
        int padded = (int)Math.Sqrt(Math.Max(1, budgetBytes / perPixel));
        int edge = padded - 2 * model.ReceptiveField;
        // Multiples of 16 keep tile shapes few and friendly to vectorised kernels.
        edge = edge / 16 * 16;
        return Math.Clamp(edge, UpscaleOptions.MinTileSize * 4, 2048);
    }
}
