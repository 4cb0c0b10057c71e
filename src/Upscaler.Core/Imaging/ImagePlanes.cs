namespace Upscaler.Core.Imaging;

/// <summary>
/// A planar float image (all of channel 0, then channel 1, …), values nominally in [0, 1].
/// This is the engine's working format between model passes: planar because the models take NCHW.
/// </summary>
internal sealed class ImagePlanes : IPlaneWriter
{
    public ImagePlanes(int channels, int width, int height)
    {
        long length = (long)channels * width * height;
        if (length > Array.MaxLength)
            throw new ImageTooLargeException($"a {width}x{height} working image does not fit in memory; choose a smaller scale");
        Channels = channels;
        Width = width;
        Height = height;
        Data = new float[length];
    }

    public int Channels { get; }
    public int Width { get; }
    public int Height { get; }
    public float[] Data { get; }
    public int PlaneSize => Width * Height;

    public Span<float> Plane(int channel) => Data.AsSpan(channel * PlaneSize, PlaneSize);

    public void Write(int x, int y, int width, int height, ReadOnlySpan<float> source, in PlanarLayout layout)
    {
        for (int c = 0; c < Channels; c++)
        {
            for (int row = 0; row < height; row++)
            {
                var from = source.Slice(layout.Offset + c * layout.PlaneStride + row * layout.RowStride, width);
                from.CopyTo(Data.AsSpan(c * PlaneSize + (y + row) * Width + x, width));
            }
        }
    }
}
