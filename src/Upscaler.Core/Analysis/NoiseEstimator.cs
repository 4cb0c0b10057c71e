using System.Runtime.CompilerServices;

namespace Upscaler.Core.Analysis;

/// <summary>
/// Estimates the standard deviation of additive noise, per colour channel, in 8-bit levels.
/// </summary>
/// <remarks>
/// Immerkaer's estimator (1996): the 3x3 kernel [1 -2 1; -2 4 -2; 1 -2 1] is the difference of two
/// Laplacians, so it cancels flat areas, linear ramps and most smooth shading, and leaves noise (of
/// standard deviation 6σ for white noise). Image texture and edges survive it too, so the statistic is
/// taken over flat 8x8 blocks only: each block's mean |response| over its 6x6 interior (interior, so the
/// steps a JPEG encoder leaves on block boundaries do not count as noise), and the image's value is a low
/// percentile of those block means (the 10th): the flattest tenth of a photo is nearly always sky, walls,
/// skin or out-of-focus background, where what remains is noise. Blocks with clipped pixels (0 or 255) are
/// left out, because clipping hides noise. On the validation split's x4 inputs (small, busy pictures; see
/// models/eval/fit_auto_denoise.py) clean pictures read 1.4 levels (median; 4.3 at the 90th percentile),
/// and added noise of 5, 10 and 15 levels read 5.8, 10.8 and 15.7; the 25th percentile, calibrated the
/// same way, read clean pictures at 1.8 (5.3) and noise of 5 at 6.0, so it told them apart less well.
/// </remarks>
internal static class NoiseEstimator
{
    /// <summary>The share of blocks, flattest first, whose upper end is the estimate.</summary>
    public const double FlatPercentile = 0.10;

    /// <summary>
    /// E|N*n| = 6σ·sqrt(2/π) for white Gaussian noise n. Taking the 10th percentile of block means rather
    /// than the mean reads low by a further factor, measured on flat gray with Gaussian noise: 0.84 when
    /// each block mean averages three independent channels, 0.75 for gray pictures (one channel, so block
    /// means spread wider). Noise equal in R, G and B (gray noise on a colour picture) reads about 10 % low.
    /// </summary>
    private static double ResponseToSigma(int channels) => Math.Sqrt(Math.PI / 2) / 6 / (channels == 1 ? 0.75 : 0.84);

    private const float ClippedLow = 0.5f, ClippedHigh = 254.5f;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Estimate(ImageSample sample)
    {
        var flat = new List<float>();
        var clipped = new List<float>();
        foreach (var tile in sample.Tiles)
        {
            for (int by = 0; by < tile.BlocksDown; by++)
            {
                for (int bx = 0; bx < tile.BlocksAcross; bx++)
                {
                    if (!tile.OpaqueBlocks[by * tile.BlocksAcross + bx])
                        continue;
                    var (response, isClipped) = BlockResponse(tile, bx * ImageSample.Block, by * ImageSample.Block);
                    (isClipped ? clipped : flat).Add(response);
                }
            }
        }
        // An image that is mostly clipped (a silhouette on white) still gets a reading from what it has.
        var blocks = flat.Count >= 4 ? flat : [.. flat, .. clipped];
        if (blocks.Count == 0)
            return 0;
        blocks.Sort();
        return blocks[(int)(FlatPercentile * (blocks.Count - 1))] * ResponseToSigma(sample.Channels);
    }

    /// <summary>Mean |Immerkaer response| over the block's interior, all channels; and whether the block has clipped pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (float Response, bool Clipped) BlockResponse(SampleTile tile, int left, int top)
    {
        const int b = ImageSample.Block;
        int w = tile.Width;
        float sum = 0;
        bool clipped = false;
        foreach (var p in tile.Planes)
        {
            for (int y = top; y < top + b; y++)
            {
                for (int x = left; x < left + b; x++)
                {
                    float v = p[y * w + x];
                    clipped |= v < ClippedLow || v > ClippedHigh;
                }
            }
            for (int y = top + 1; y < top + b - 1; y++)
            {
                int above = (y - 1) * w, row = y * w, below = (y + 1) * w;
                for (int x = left + 1; x < left + b - 1; x++)
                {
                    float r = p[above + x - 1] - 2 * p[above + x] + p[above + x + 1]
                        - 2 * (p[row + x - 1] - 2 * p[row + x] + p[row + x + 1])
                        + p[below + x - 1] - 2 * p[below + x] + p[below + x + 1];
                    sum += Math.Abs(r);
                }
            }
        }
        return (sum / ((b - 2) * (b - 2) * tile.Planes.Length), clipped);
    }
}
