namespace Upscaler.Core.Imaging;

/// <summary>Where a block of planar data starts in a source span and how its rows and planes are strided.</summary>
internal readonly record struct PlanarLayout(int Offset, int RowStride, int PlaneStride);

/// <summary>
/// A destination for blocks of planar RGB results: the next pass's working image, or the final
/// 8/16-bit output. Blocks written concurrently must not overlap.
/// </summary>
internal interface IPlaneWriter
{
    int Width { get; }
    int Height { get; }

    /// <summary>Writes a <paramref name="width"/> x <paramref name="height"/> block at (x, y).</summary>
    void Write(int x, int y, int width, int height, ReadOnlySpan<float> source, in PlanarLayout layout);
}
