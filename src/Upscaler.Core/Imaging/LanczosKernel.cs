using System.Numerics;

namespace Upscaler.Core.Imaging;

/// <summary>
/// Lanczos-3 filter taps for resampling one axis from a source length to a destination length,
/// widened when shrinking so the filter also removes aliasing. Source indices past either end are
/// clamped to the edge sample (callers clamp with <see cref="SourceIndex"/>, or extend the line by
/// <see cref="PadBefore"/> and <see cref="PadAfter"/> edge samples for <see cref="ApplyLanes"/>).
/// </summary>
internal sealed class LanczosKernel
{
    private const int Lobes = 3;
    private readonly int[] _first;
    private readonly float[][] _taps;
    private readonly int _width;            // taps per destination sample in _flat (the most any has)
    private readonly float[] _flat;         // every destination sample's taps, zero-padded to _width

    private LanczosKernel(int sourceLength, int[] first, float[][] taps)
    {
        SourceLength = sourceLength;
        _first = first;
        _taps = taps;
        _width = taps.Max(t => t.Length);
        _flat = new float[taps.Length * _width];
        for (int i = 0; i < taps.Length; i++)
            taps[i].CopyTo(_flat, i * _width);
        PadBefore = Math.Max(0, -first.Min());
        PadAfter = Math.Max(0, Enumerable.Range(0, first.Length).Max(i => first[i] + _width - 1) - (sourceLength - 1));
    }

    public int SourceLength { get; }

    /// <summary>Edge samples a line needs before its first sample for <see cref="ApplyLanes"/>.</summary>
    public int PadBefore { get; }

    /// <summary>Edge samples a line needs after its last sample for <see cref="ApplyLanes"/>.</summary>
    public int PadAfter { get; }

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

    /// <summary>
    /// Resamples <see cref="Vector{T}.Count"/> lines at once, one per lane: <paramref name="line"/> holds
    /// source sample <c>i</c> of every line at <c>PadBefore + i</c>, with the edge samples repeated into
    /// the padding. Each lane's sum runs over the taps in order (the padding taps add exact zeros), so a
    /// line comes out as if filtered alone; lines are done together because one line's taps form a chain
    /// of dependent additions that keeps the CPU waiting.
    /// </summary>
    public void ApplyLanes(ReadOnlySpan<Vector<float>> line, Span<Vector<float>> destination)
    {
        if (line.Length < PadBefore + SourceLength + PadAfter || destination.Length < _first.Length)
            throw new ArgumentException("the padded line or the destination is too short");
        var flat = _flat.AsSpan();
        for (int i = 0; i < _first.Length; i++)
        {
            var taps = flat.Slice(i * _width, _width);
            var window = line.Slice(_first[i] + PadBefore, _width);
            var sum = Vector<float>.Zero;
            for (int t = 0; t < taps.Length; t++)
                sum += window[t] * taps[t];
            destination[i] = sum;
        }
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
