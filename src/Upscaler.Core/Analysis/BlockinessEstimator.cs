using System.Runtime.CompilerServices;

namespace Upscaler.Core.Analysis;

/// <summary>
/// Measures JPEG-style block artefacts from pixels alone, for images whose file (and so its quantization
/// tables) the caller does not know: a JPEG encoder quantizes each 8x8 block on its own, which smooths the
/// inside of a block and leaves steps where blocks meet.
/// </summary>
/// <remarks>
/// Each boundary segment (8 pixels long, between two neighbouring blocks) is compared with the steps inside
/// the two blocks it separates. Texture makes both large and says nothing, so only the flatter half of the
/// segments counts (ranked by their blocks' inside steps); there, blockiness is
/// (mean boundary step + 2) / (mean inside step + 2) − 1, in levels: about 0 for an uncompressed picture,
/// 0.05 for JPEG quality 95, 0.15 for 90, 0.2 to 0.25 for 80, 0.35 to 0.4 for 60 and 0.55 for 40 (medians
/// on the validation split's pictures, both as the small x4 inputs of models/eval/fit_auto_denoise.py and
/// whole).
/// The grid is the image's own (an encoder starts it at the top-left pixel); a picture cropped off that
/// grid after compression is measured on the shifted grid only where its steps stand out clearly, as with
/// strong compression, since on lightly compressed pictures the strongest shift is as often chance.
/// Done across (vertical boundaries) and down (horizontal ones); the result is their mean.
/// </remarks>
internal static class BlockinessEstimator
{
    private const int Block = ImageSample.Block;

    /// <summary>A step's contribution to finding the grid is capped, so a few strong edges cannot place it.</summary>
    private const float GridStepCap = 20f;

    /// <summary>A shifted grid is believed when its steps exceed the other shifts' by this share.</summary>
    private const double ShiftedGridExcess = 0.3;

    /// <summary>
    /// Two levels added to both means: flat areas (both near 0) then read 0, and a quality reads about the
    /// same on small busy pictures and on large smooth ones. With a quarter level, a large smooth photo
    /// saved at quality 95 read as blocky as a small busy one at 60; with one level, still as blocky as
    /// one at 80.
    /// </summary>
    private const float Floor = 2f;

    public static double Estimate(ImageSample sample)
    {
        var lumas = sample.Tiles.Select(t => (Luma: Luma(t), t.Width, t.Height)).ToList();
        double across = Direction(lumas);
        double down = Direction(lumas.Select(t => (Transpose(t.Luma, t.Width, t.Height), Width: t.Height, Height: t.Width)).ToList());
        // Slightly negative values (boundaries smoother than insides) are chance: no artefacts.
        return Math.Max(0, (across + down) / 2);
    }

    /// <summary>Blockiness of the vertical boundaries of row-major planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double Direction(List<(float[] Luma, int Width, int Height)> tiles)
    {
        int boundary = GridBoundary(tiles);
        var segments = new List<(float Inside, float Boundary)>();
        foreach (var (luma, w, h) in tiles)
        {
            // The step between columns c and c + 1 is a block boundary; its blocks span c - 7 .. c + 8.
            for (int c = boundary; c + Block < w; c += Block)
            {
                if (c - (Block - 1) < 0)
                    continue;
                for (int top = 0; top + Block <= h; top += Block)
                {
                    float inside = 0, step = 0;
                    for (int y = top; y < top + Block; y++)
                    {
                        int row = y * w;
                        step += Math.Abs(luma[row + c + 1] - luma[row + c]);
                        for (int x = c - (Block - 1); x < c; x++)
                            inside += Math.Abs(luma[row + x + 1] - luma[row + x]);
                        for (int x = c + 1; x < c + Block; x++)
                            inside += Math.Abs(luma[row + x + 1] - luma[row + x]);
                    }
                    segments.Add((inside / (2 * (Block - 1) * Block), step / Block));
                }
            }
        }
        if (segments.Count == 0)
            return 0;
        segments.Sort((a, b) => a.Inside.CompareTo(b.Inside));
        int flatter = Math.Max(1, segments.Count / 2);
        double insideMean = 0, boundaryMean = 0;
        for (int i = 0; i < flatter; i++)
        {
            insideMean += segments[i].Inside;
            boundaryMean += segments[i].Boundary;
        }
        return (boundaryMean / flatter + Floor) / (insideMean / flatter + Floor) - 1;
    }

    /// <summary>
    /// The column c whose steps (c to c + 1, every 8 columns) are the block boundaries: the image's own grid
    /// (c = 7), unless another shift's capped mean step exceeds the others' clearly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int GridBoundary(List<(float[] Luma, int Width, int Height)> tiles)
    {
        var sum = new double[Block];
        var count = new long[Block];
        foreach (var (luma, w, h) in tiles)
        {
            for (int y = 0; y < h; y++)
            {
                int row = y * w;
                for (int x = 0; x < w - 1; x++)
                {
                    sum[x & (Block - 1)] += Math.Min(Math.Abs(luma[row + x + 1] - luma[row + x]), GridStepCap);
                    count[x & (Block - 1)]++;
                }
            }
        }
        var means = sum.Select((s, p) => count[p] == 0 ? 0 : s / count[p]).ToArray();
        int strongest = Array.IndexOf(means, means.Max());
        double others = (means.Sum() - means[strongest]) / (Block - 1);
        return means[strongest] > (1 + ShiftedGridExcess) * others + 1e-6 ? strongest : Block - 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Luma(SampleTile tile)
    {
        if (tile.Planes.Length == 1)
            return tile.Planes[0];
        float[] r = tile.Planes[0], g = tile.Planes[1], b = tile.Planes[2];
        var luma = new float[r.Length];
        for (int i = 0; i < luma.Length; i++)
            luma[i] = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
        return luma;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float[] Transpose(float[] plane, int width, int height)
    {
        var output = new float[plane.Length];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
                output[x * height + y] = plane[y * width + x];
        return output;
    }
}
