namespace Upscaler.Core.Imaging;

/// <summary>
/// Separable Lanczos-3 resampling, widened when shrinking so it also filters aliasing. Used to land
/// on the exact requested size after the model passes (e.g. x4 then down to x3).
/// </summary>
internal static class LanczosResampler
{
    private const int Lobes = 3;

    public static void Resize(ImagePlanes source, IPlaneWriter destination)
    {
        int dstW = destination.Width, dstH = destination.Height;
        var horizontal = Weights.For(source.Width, dstW);
        var vertical = Weights.For(source.Height, dstH);

        // Horizontal pass into a buffer of source height x destination width.
        var wide = new ImagePlanes(source.Channels, dstW, source.Height);
        Parallel.For(0, source.Channels * source.Height, row =>
        {
            int c = row / source.Height, y = row % source.Height;
            var src = source.Data.AsSpan(c * source.PlaneSize + y * source.Width, source.Width);
            var dst = wide.Data.AsSpan(c * wide.PlaneSize + y * dstW, dstW);
            for (int x = 0; x < dstW; x++)
                dst[x] = horizontal.Apply(x, src);
        });

        // Vertical pass, one destination row (all channels) at a time, accumulating whole source rows.
        Parallel.For(0, dstH, () => new float[source.Channels * dstW], (y, _, row) =>
        {
            var taps = vertical.Taps(y);
            int first = vertical.First(y);
            for (int c = 0; c < source.Channels; c++)
            {
                var plane = wide.Data.AsSpan(c * wide.PlaneSize, wide.PlaneSize);
                var output = row.AsSpan(c * dstW, dstW);
                output.Clear();
                for (int t = 0; t < taps.Length; t++)
                {
                    var input = plane.Slice(Math.Clamp(first + t, 0, source.Height - 1) * dstW, dstW);
                    float w = taps[t];
                    for (int x = 0; x < dstW; x++)
                        output[x] += w * input[x];
                }
            }
            destination.Write(0, y, dstW, 1, row, new PlanarLayout(0, dstW, dstW));
            return row;
        }, _ => { });
    }

    private static double Kernel(double x)
    {
        x = Math.Abs(x);
        if (x < 1e-9)
            return 1.0;
        if (x >= Lobes)
            return 0.0;
        double px = Math.PI * x;
        return Lobes * Math.Sin(px) * Math.Sin(px / Lobes) / (px * px);
    }

    /// <summary>Per-output-index taps: first source index and normalised weights, edges clamped.</summary>
    private sealed class Weights
    {
        private readonly int[] _first;
        private readonly float[][] _taps;

        private Weights(int[] first, float[][] taps)
        {
            _first = first;
            _taps = taps;
        }

        public static Weights For(int sourceLength, int destinationLength)
        {
            double ratio = (double)sourceLength / destinationLength;
            double filterScale = Math.Max(1.0, ratio);
            double support = Lobes * filterScale;
            var first = new int[destinationLength];
            var taps = new float[destinationLength][];
            for (int i = 0; i < destinationLength; i++)
            {
                double centre = (i + 0.5) * ratio - 0.5;
                int lo = (int)Math.Floor(centre - support) + 1, hi = (int)Math.Floor(centre + support);
                var w = new double[hi - lo + 1];
                double sum = 0;
                for (int j = lo; j <= hi; j++)
                    sum += w[j - lo] = Kernel((j - centre) / filterScale);
                first[i] = lo;
                taps[i] = w.Select(v => (float)(v / sum)).ToArray();
            }
            return new Weights(first, taps);
        }

        public int First(int index) => _first[index];

        public float[] Taps(int index) => _taps[index];

        public float Apply(int index, ReadOnlySpan<float> line)
        {
            var taps = _taps[index];
            int first = _first[index];
            float sum = 0f;
            for (int t = 0; t < taps.Length; t++)
                sum += taps[t] * line[Math.Clamp(first + t, 0, line.Length - 1)];
            return sum;
        }
    }
}
