using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tiling;

/// <summary>
/// Runs one model over a whole image tile by tile. Each tile is read with a margin of at least the
/// model's receptive field, mirrored at the image borders, and only its centre is kept, so every kept
/// output pixel saw exactly the context it would have seen in one whole-image pass: no seams.
/// </summary>
internal sealed class TiledPass
{
    private readonly ModelSession _session;
    private readonly TileGrid _grid;
    private readonly int _margin;

    /// <param name="tileSize">Tile edge for sessions that take any shape; a pinned session's own tile wins.</param>
    public TiledPass(ModelSession session, int width, int height, int tileSize)
    {
        _session = session;
        _margin = session.Model.ReceptiveField;
        Width = width;
        Height = height;
        _grid = session.FixedTile is int fixedTile
            ? TileGrid.Create(width, height, fixedTile, fixedWindow: true)
            : TileGrid.Create(width, height, tileSize);
    }

    public int Width { get; }
    public int Height { get; }
    public int Scale => _session.Model.Scale;
    public int TileCount => _grid.Tiles.Count;

    public void Run(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken)
    {
        var model = _session.Model;
        bool rescale = model.RangeMin != 0f || model.RangeMax != 1f;
        int paddedW = _grid.WindowWidth + 2 * _margin, paddedH = _grid.WindowHeight + 2 * _margin;
        var input = new float[3 * paddedW * paddedH];
        int s = model.Scale, outW = paddedW * s, outH = paddedH * s;

        for (int i = 0; i < _grid.Tiles.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tile = _grid.Tiles[i];
            Gather(source, tile.WindowX - _margin, tile.WindowY - _margin, paddedW, paddedH, input);
            if (rescale)
                ToModelRange(input, model.RangeMin, model.RangeMax);

            // The kept cell lies inside the window, which lies inside the margin.
            int keepX = (tile.X - tile.WindowX + _margin) * s, keepY = (tile.Y - tile.WindowY + _margin) * s;
            var keep = new PlanarLayout(Offset: keepY * outW + keepX, RowStride: outW, PlaneStride: outW * outH);
            bool lastTile = i == _grid.Tiles.Count - 1;
            _session.Run(input, paddedH, paddedW, denoise, output =>
            {
                if (rescale)
                {
                    var copy = output.ToArray();
                    FromModelRange(copy, model.RangeMin, model.RangeMax);
                    output = copy;
                }
                destination.Write(tile.X * s, tile.Y * s, tile.Width * s, tile.Height * s, output, keep);
            }, cancellationToken, releaseMemoryAfter: lastTile);
            tileDone();
        }
    }

    /// <summary>Copies a window of the image, mirroring indices that fall outside it.</summary>
    private static void Gather(ImagePlanes source, int left, int top, int paddedW, int paddedH, float[] input)
    {
        // Windows inside the image copy whole rows; only those touching a side need mirrored column lookups.
        bool interior = left >= 0 && left + paddedW <= source.Width;
        var columns = interior ? null : Enumerable.Range(left, paddedW).Select(x => Mirror.Index(x, source.Width)).ToArray();

        for (int c = 0; c < 3; c++)
        {
            var plane = source.Plane(c);
            for (int row = 0; row < paddedH; row++)
            {
                int y = Mirror.Index(top + row, source.Height);
                var srcRow = plane.Slice(y * source.Width, source.Width);
                var dstRow = input.AsSpan((c * paddedH + row) * paddedW, paddedW);
                if (columns is null)
                    srcRow.Slice(left, paddedW).CopyTo(dstRow);
                else
                    for (int i = 0; i < paddedW; i++)
                        dstRow[i] = srcRow[columns[i]];
            }
        }
    }

    private static void ToModelRange(Span<float> values, float min, float max)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = min + values[i] * (max - min);
    }

    private static void FromModelRange(Span<float> values, float min, float max)
    {
        for (int i = 0; i < values.Length; i++)
            values[i] = (values[i] - min) / (max - min);
    }
}
