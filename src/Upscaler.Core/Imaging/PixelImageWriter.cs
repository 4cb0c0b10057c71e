using System.Buffers.Binary;
using System.Numerics;

namespace Upscaler.Core.Imaging;

/// <summary>
/// Writes planar RGB results into an interleaved 8/16-bit <see cref="PixelImage"/>: either into its
/// colour channels (gray images take the mean of R, G and B) or, for the alpha pass, into its alpha channel.
/// <para>
/// This runs inside every tile's inference callback, while ONNX Runtime's threads wait, and a x4 tile's
/// output is 3 x 16 times its input: written one sample at a time it cost ~5 % of the float32 inference.
/// So rows are split across the cores (<see cref="RowBands"/>) and each plane's row is quantized with
/// vectors before the samples are interleaved. Results are the same as <see cref="Quantize"/> on every sample.
/// </para>
/// </summary>
internal sealed class PixelImageWriter : IPlaneWriter
{
    private readonly PixelImage _target;
    private readonly bool _alpha;

    private PixelImageWriter(PixelImage target, bool alpha)
    {
        _target = target;
        _alpha = alpha;
    }

    public static PixelImageWriter Colour(PixelImage target) => new(target, alpha: false);

    public static PixelImageWriter Alpha(PixelImage target) => new(target, alpha: true);

    public int Width => _target.Width;
    public int Height => _target.Height;

    public unsafe void Write(int x, int y, int width, int height, ReadOnlySpan<float> source, in PlanarLayout layout)
    {
        var target = _target;
        bool collapse = _alpha || target.IsGray;
        int channels = target.Channels, firstChannel = _alpha ? channels - 1 : 0;
        var l = layout;
        // The source is ONNX Runtime's output buffer, alive for the whole callback: the bands read it
        // through its address, since a span cannot be handed to other threads.
        fixed (float* start = source)
        {
            nint address = (nint)start;
            int length = source.Length;
            RowBands.For(height, width, (first, end) =>
            {
                var src = new ReadOnlySpan<float>((float*)address, length);
                var levels = new int[width];
                for (int row = first; row < end; row++)
                {
                    int r = l.Offset + row * l.RowStride;
                    long pixel = (long)(y + row) * target.Width + x;
                    if (collapse)
                    {
                        MeanLevels(src.Slice(r, width), src.Slice(r + l.PlaneStride, width), src.Slice(r + 2 * l.PlaneStride, width), levels, target.MaxValue);
                        Store(target, pixel, firstChannel, levels);
                    }
                    else
                    {
                        for (int c = 0; c < 3; c++)
                        {
                            Levels(src.Slice(r + c * l.PlaneStride, width), levels, target.MaxValue);
                            Store(target, pixel, c, levels);
                        }
                    }
                }
            });
        }
    }

    /// <summary>Sets every alpha sample to one value (used when the input's alpha is constant).</summary>
    public static void FillAlpha(PixelImage target, int value)
    {
        int channels = target.Channels;
        for (long pixel = 0, n = (long)target.Width * target.Height; pixel < n; pixel++)
            StoreOne(target, pixel * channels + channels - 1, value);
    }

    /// <summary>Writes one sample, a value in [0, 1] (clamped), rounded to the image's bit depth.</summary>
    public static void WriteSample(PixelImage target, int x, int y, int channel, float value) =>
        StoreOne(target, ((long)y * target.Width + x) * target.Channels + channel, Quantize(value, target.MaxValue));

    /// <summary>The definition every path follows: [0, 1] to 0..max, rounded to nearest, clamped.</summary>
    public static int Quantize(float v, float max) =>
        v <= 0f ? 0 : v >= 1f ? (int)max : (int)(v * max + 0.5f);

    /// <summary><see cref="Quantize"/> of a row, with vectors: clamping first gives the same levels at 0 and 1 (0.5 and max + 0.5 truncate to them).</summary>
    private static void Levels(ReadOnlySpan<float> values, Span<int> levels, float max)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var zero = Vector<float>.Zero;
            var one = Vector<float>.One;
            var scale = new Vector<float>(max);
            var half = new Vector<float>(0.5f);
            for (; i <= values.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = Vector.Min(Vector.Max(new Vector<float>(values[i..]), zero), one);
                Vector.ConvertToInt32(v * scale + half).CopyTo(levels[i..]);
            }
        }
        for (; i < values.Length; i++)
            levels[i] = Quantize(values[i], max);
    }

    private static void MeanLevels(ReadOnlySpan<float> r, ReadOnlySpan<float> g, ReadOnlySpan<float> b, Span<int> levels, float max)
    {
        for (int i = 0; i < r.Length; i++)
            levels[i] = Quantize((r[i] + g[i] + b[i]) * (1f / 3f), max);
    }

    /// <summary>Stores a row of levels into channel <paramref name="channel"/> of consecutive pixels from <paramref name="pixel"/> on.</summary>
    private static void Store(PixelImage target, long pixel, int channel, ReadOnlySpan<int> levels)
    {
        int channels = target.Channels;
        if (target.BitDepth == 8)
        {
            var row = target.Data.AsSpan((int)(pixel * channels), levels.Length * channels);
            for (int i = 0, at = channel; i < levels.Length; i++, at += channels)
                row[at] = (byte)levels[i];
        }
        else
        {
            var row = target.Data.AsSpan((int)(pixel * channels * 2), levels.Length * channels * 2);
            for (int i = 0, at = channel * 2; i < levels.Length; i++, at += channels * 2)
                BinaryPrimitives.WriteUInt16LittleEndian(row[at..], (ushort)levels[i]);
        }
    }

    private static void StoreOne(PixelImage target, long sample, int value)
    {
        if (target.BitDepth == 8)
            target.Data[sample] = (byte)value;
        else
            BinaryPrimitives.WriteUInt16LittleEndian(target.Data.AsSpan((int)(sample * 2), 2), (ushort)value);
    }
}
