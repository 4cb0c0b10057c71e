using System.Runtime.CompilerServices;

namespace Upscaler.Core.Analysis;

/// <summary>
/// The part of an image the noise and compression estimators read: tiles of whole 8x8 blocks, aligned to
/// the image's 8x8 grid (where a JPEG encoder puts its blocks), spread evenly over the image up to a
/// pixel budget. A 12 MP photo is judged from half a megapixel of it (8,192 blocks): plenty for the
/// percentiles the estimators take, and it keeps the analysis well under 2 % of an upscale.
/// </summary>
internal sealed class ImageSample
{
    public const int Block = 8;
    public const int TileEdge = 64;

    /// <summary>Half a megapixel: 128 tiles of 64x64.</summary>
    public const long DefaultPixelBudget = 128L * TileEdge * TileEdge;

    private ImageSample(int channels, List<SampleTile> tiles)
    {
        Channels = channels;
        Tiles = tiles;
    }

    /// <summary>Colour channels in every tile: 1 for gray images, 3 for colour.</summary>
    public int Channels { get; }

    public IReadOnlyList<SampleTile> Tiles { get; }

    public static ImageSample Take(PixelImage image, long pixelBudget = DefaultPixelBudget)
    {
        int channels = image.IsGray ? 1 : 3;
        int width = image.Width / Block * Block, height = image.Height / Block * Block;
        var tiles = new List<SampleTile>();
        if (width == 0 || height == 0)
            return new ImageSample(channels, tiles);

        int columns = (width + TileEdge - 1) / TileEdge, rows = (height + TileEdge - 1) / TileEdge;
        long count = (long)columns * rows;
        long wanted = Math.Clamp(pixelBudget / (TileEdge * TileEdge), 1, count);
        for (long k = 0; k < wanted; k++)
        {
            // Evenly spaced in row-major order; a fractional step keeps the picks from lining up in columns.
            long index = (long)((k + 0.5) * count / wanted);
            int x = (int)(index % columns) * TileEdge, y = (int)(index / columns) * TileEdge;
            tiles.Add(SampleTile.Read(image, channels, x, y, Math.Min(TileEdge, width - x), Math.Min(TileEdge, height - y)));
        }
        return new ImageSample(channels, tiles);
    }
}

/// <summary>
/// One tile of an <see cref="ImageSample"/>: its colour channels as planes in 8-bit levels (16-bit images
/// are scaled down, so thresholds mean the same for both), and which of its 8x8 blocks are fully opaque.
/// </summary>
internal sealed class SampleTile
{
    private SampleTile(int width, int height, float[][] planes, bool[] opaque)
    {
        Width = width;
        Height = height;
        Planes = planes;
        OpaqueBlocks = opaque;
    }

    /// <summary>Multiples of <see cref="ImageSample.Block"/>.</summary>
    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major planes, one per colour channel.</summary>
    public float[][] Planes { get; }

    /// <summary>Row-major over the tile's blocks: transparent pixels often hold arbitrary colour, so blocks with any are not measured.</summary>
    public bool[] OpaqueBlocks { get; }

    public int BlocksAcross => Width / ImageSample.Block;
    public int BlocksDown => Height / ImageSample.Block;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SampleTile Read(PixelImage image, int colourChannels, int left, int top, int width, int height)
    {
        int stride = image.Channels, bytes = image.BitDepth / 8;
        var planes = new float[colourChannels][];
        for (int c = 0; c < colourChannels; c++)
            planes[c] = new float[width * height];
        int blocksAcross = width / ImageSample.Block;
        var opaque = new bool[blocksAcross * (height / ImageSample.Block)];
        Array.Fill(opaque, true);
        int alpha = image.HasAlpha ? stride - 1 : -1;
        float toLevels = 255f / image.MaxValue;

        for (int y = 0; y < height; y++)
        {
            var row = image.Data.AsSpan(checked((int)(((long)(top + y) * image.Width + left) * stride * bytes)), width * stride * bytes);
            int first = y * width;
            for (int c = 0; c < colourChannels; c++)
            {
                var plane = planes[c].AsSpan(first, width);
                if (bytes == 1)
                    for (int x = 0, i = c; x < width; x++, i += stride)
                        plane[x] = row[i] * toLevels;
                else
                    for (int x = 0, i = 2 * c; x < width; x++, i += 2 * stride)
                        plane[x] = (row[i] | row[i + 1] << 8) * toLevels;
            }
            if (alpha < 0)
                continue;
            for (int x = 0, i = alpha * bytes; x < width; x++, i += stride * bytes)
            {
                int value = bytes == 1 ? row[i] : row[i] | row[i + 1] << 8;
                if (value != image.MaxValue)
                    opaque[y / ImageSample.Block * blocksAcross + x / ImageSample.Block] = false;
            }
        }
        return new SampleTile(width, height, planes, opaque);
    }
}
