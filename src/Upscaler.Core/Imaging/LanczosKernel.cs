namespace Upscaler.Core.Imaging;

/// <summary>
/// Lanczos-3 filter taps for resampling one axis from a source length to a destination length,
/// widened when shrinking so the filter also removes aliasing. Source indices past either end are
/// clamped to the edge sample (callers clamp with <see cref="SourceIndex"/>).
/// </summary>
internal sealed class LanczosKernel
{
    private const int Lobes = 3;
    private readonly int[] _first;
    private readonly float[][] _taps;

    private LanczosKernel(int sourceLength, int[] first, float[][] taps)
    {
        SourceLength = sourceLength;
        _first = first;
        _taps = taps;
    }

    public int SourceLength { get; }

    public static LanczosKernel For(int sourceLength, int destinationLength)
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
        return new LanczosKernel(sourceLength, first, taps);
    }

    /// <summary>The (unclamped) source index of destination index <paramref name="index"/>'s first tap.</summary>
    public int First(int index) => _first[index];

    public float[] Taps(int index) => _taps[index];

    /// <summary>The last source index (clamped) that destination index <paramref name="index"/> reads.</summary>
    public int LastSource(int index) => SourceIndex(_first[index] + _taps[index].Length - 1);

    /// <summary>The first source index (clamped) that destination index <paramref name="index"/> reads.</summary>
    public int FirstSource(int index) => SourceIndex(_first[index]);

    public int SourceIndex(int i) => Math.Clamp(i, 0, SourceLength - 1);

    public float Apply(int index, ReadOnlySpan<float> line)
    {
        var taps = _taps[index];
        int first = _first[index];
        float sum = 0f;
        if (first >= 0 && first + taps.Length <= line.Length)
        {
            // Away from the borders: no clamping.
            var window = line.Slice(first, taps.Length);
            for (int t = 0; t < taps.Length; t++)
                sum += taps[t] * window[t];
            return sum;
        }
        for (int t = 0; t < taps.Length; t++)
            sum += taps[t] * line[SourceIndex(first + t)];
        return sum;
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
}
