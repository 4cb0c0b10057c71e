using System.Buffers.Binary;

namespace Upscaler.Core.Imaging;

/// <summary>
/// Writes planar RGB results into an interleaved 8/16-bit <see cref="PixelImage"/>: either into its
/// colour channels (gray images take the mean of R, G and B) or, for the alpha pass, into its alpha channel.
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

    public void Write(int x, int y, int width, int height, ReadOnlySpan<float> source, in PlanarLayout layout)
    {
        int channels = _target.Channels;
        bool collapse = _alpha || _target.IsGray;
        int firstChannel = _alpha ? channels - 1 : 0;
        float max = _target.MaxValue;
        var target = _target;

        for (int row = 0; row < height; row++)
        {
            int r = layout.Offset + row * layout.RowStride;
            int g = r + layout.PlaneStride;
            int b = g + layout.PlaneStride;
            long pixel = (long)(y + row) * _target.Width + x;
            for (int i = 0; i < width; i++, pixel++)
            {
                long sample = pixel * channels + firstChannel;
                if (collapse)
                {
                    Store(target, sample, Quantize((source[r + i] + source[g + i] + source[b + i]) * (1f / 3f), max));
                }
                else
                {
                    Store(target, sample, Quantize(source[r + i], max));
                    Store(target, sample + 1, Quantize(source[g + i], max));
                    Store(target, sample + 2, Quantize(source[b + i], max));
                }
            }
        }
    }

    /// <summary>Sets every alpha sample to one value (used when the input's alpha is constant).</summary>
    public static void FillAlpha(PixelImage target, int value)
    {
        int channels = target.Channels;
        for (long pixel = 0, n = (long)target.Width * target.Height; pixel < n; pixel++)
            Store(target, pixel * channels + channels - 1, value);
    }

    /// <summary>Writes one sample, a value in [0, 1] (clamped), rounded to the image's bit depth.</summary>
    public static void WriteSample(PixelImage target, int x, int y, int channel, float value) =>
        Store(target, ((long)y * target.Width + x) * target.Channels + channel, Quantize(value, target.MaxValue));

    private static int Quantize(float v, float max) =>
        v <= 0f ? 0 : v >= 1f ? (int)max : (int)(v * max + 0.5f);

    private static void Store(PixelImage target, long sample, int value)
    {
        if (target.BitDepth == 8)
            target.Data[sample] = (byte)value;
        else
            BinaryPrimitives.WriteUInt16LittleEndian(target.Data.AsSpan((int)(sample * 2), 2), (ushort)value);
    }
}
