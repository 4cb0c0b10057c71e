namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// A tightly packed 8-bit BGRA image with straight alpha: Paint.NET's Bgra32 layer format, copied out
/// of (or into) Paint.NET's bitmaps row by row by the effect.
/// </summary>
public sealed class BgraCanvas
{
    public const int BytesPerPixel = 4;

    public BgraCanvas(int width, int height, byte[] data)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentOutOfRangeException(nameof(width), $"canvas size {width}x{height} is empty");
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != (long)width * height * BytesPerPixel)
            throw new ArgumentException($"canvas data holds {data.LongLength} bytes, a {width}x{height} BGRA canvas needs {(long)width * height * BytesPerPixel}", nameof(data));
        Width = width;
        Height = height;
        Data = data;
    }

    /// <summary>A zeroed (transparent black) canvas.</summary>
    public static BgraCanvas Create(int width, int height) => new(width, height, new byte[checked(width * height * BytesPerPixel)]);

    public int Width { get; }
    public int Height { get; }
    public byte[] Data { get; }

    /// <summary>Byte offset of pixel (x, y).</summary>
    public int Offset(int x, int y) => (y * Width + x) * BytesPerPixel;

    public BgraCanvas Clone() => new(Width, Height, (byte[])Data.Clone());
}
