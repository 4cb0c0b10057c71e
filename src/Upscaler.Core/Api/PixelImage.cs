namespace Upscaler.Core;

/// <summary>How the channels of a pixel are laid out, interleaved, in <see cref="PixelImage.Data"/>.</summary>
public enum PixelLayout
{
    Gray = 1,
    GrayAlpha = 2,
    Rgb = 3,
    Rgba = 4,
}

/// <summary>
/// An interleaved image of 8- or 16-bit samples with straight (not premultiplied) alpha.
/// 16-bit samples are little-endian, the native order of every platform the engine runs on
/// (and so the order libvips and GIMP hand them over in).
/// </summary>
public sealed class PixelImage
{
    public PixelImage(int width, int height, PixelLayout layout, int bitDepth, byte[] data)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"image size {width}x{height} is empty");
        if (bitDepth is not (8 or 16))
            throw new ArgumentOutOfRangeException(nameof(bitDepth), $"bit depth {bitDepth} is not 8 or 16");
        if (!Enum.IsDefined(layout))
            throw new ArgumentOutOfRangeException(nameof(layout), $"unknown pixel layout {layout}");
        ArgumentNullException.ThrowIfNull(data);
        long expected = (long)width * height * (int)layout * (bitDepth / 8);
        if (data.LongLength != expected)
            throw new ArgumentException($"pixel data holds {data.LongLength} bytes, a {width}x{height} {layout} {bitDepth}-bit image needs {expected}", nameof(data));

        Width = width;
        Height = height;
        Layout = layout;
        BitDepth = bitDepth;
        Data = data;
    }

    /// <summary>Allocates a zeroed image, refusing sizes a byte array cannot hold.</summary>
    public static PixelImage Create(int width, int height, PixelLayout layout, int bitDepth)
    {
        long bytes = (long)width * height * (int)layout * (bitDepth / 8);
        if (bytes > Array.MaxLength)
            throw new ImageTooLargeException($"a {width}x{height} {layout} {bitDepth}-bit image needs {bytes / (1 << 20)} MiB, more than one buffer can hold");
        return new PixelImage(width, height, layout, bitDepth, new byte[bytes]);
    }

    public int Width { get; }
    public int Height { get; }
    public PixelLayout Layout { get; }
    public int BitDepth { get; }
    public byte[] Data { get; }

    public int Channels => (int)Layout;
    public bool HasAlpha => Layout is PixelLayout.GrayAlpha or PixelLayout.Rgba;
    public bool IsGray => Layout is PixelLayout.Gray or PixelLayout.GrayAlpha;
    public int MaxValue => BitDepth == 8 ? byte.MaxValue : ushort.MaxValue;

    /// <summary>Reads sample <paramref name="channel"/> of pixel (x, y) as an integer.</summary>
    public int GetSample(int x, int y, int channel)
    {
        long i = ((long)y * Width + x) * Channels + channel;
        return BitDepth == 8 ? Data[i] : System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan((int)(i * 2), 2));
    }
}
