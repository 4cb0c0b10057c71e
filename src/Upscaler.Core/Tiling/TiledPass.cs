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
    private readonly IReadOnlyList<Tile> _tiles;
    private readonly int _margin;

    public TiledPass(ModelSession session, int width, int height, int tileSize)
    {
        _session = session;
        _margin = session.Model.ReceptiveField;
        Width = width;
        Height = height;
        _tiles = TileGrid.Create(width, height, tileSize);
    }

    public int Width { get; }
    public int Height { get; }
    public int Scale => _session.Model.Scale;
    public int TileCount => _tiles.Count;

    public void Run(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken)
    {
        var model = _session.Model;
        bool rescale = model.RangeMin != 0f || model.RangeMax != 1f;
        var buffers = new Dictionary<(int, int), float[]>();

        foreach (var tile in _tiles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int paddedW = tile.Width + 2 * _margin, paddedH = tile.Height + 2 * _margin;
            if (!buffers.TryGetValue((paddedW, paddedH), out var input))
                buffers[(paddedW, paddedH)] = input = new float[3 * paddedW * paddedH];

            Gather(source, tile, paddedW, paddedH, input);
            if (rescale)
                ToModelRange(input, model.RangeMin, model.RangeMax);

            int s = model.Scale, outW = paddedW * s, outH = paddedH * s;
            var keep = new PlanarLayout(
                Offset: _margin * s * outW + _margin * s,
                RowStride: outW,
                PlaneStride: outW * outH);
            _session.Run(input, paddedH, paddedW, denoise, output =>
            {
                if (rescale)
                {
                    var copy = output.ToArray();
                    FromModelRange(copy, model.RangeMin, model.RangeMax);
                    output = copy;
                }
                destination.Write(tile.X * s, tile.Y * s, tile.Width * s, tile.Height * s, output, keep);
            }, cancellationToken);
            tileDone();
        }
    }

    /// <summary>Copies the tile plus its margin, mirroring indices that fall outside the image.</summary>
    private void Gather(ImagePlanes source, Tile tile, int paddedW, int paddedH, float[] input)
    {
        int left = tile.X - _margin;
        // Interior tiles copy whole rows; only tiles touching a side need mirrored column lookups.
        bool interior = left >= 0 && left + paddedW <= source.Width;
        var columns = interior ? null : Enumerable.Range(left, paddedW).Select(x => Mirror.Index(x, source.Width)).ToArray();

        for (int c = 0; c < 3; c++)
        {
            var plane = source.Plane(c);
            for (int row = 0; row < paddedH; row++)
            {
                int y = Mirror.Index(tile.Y - _margin + row, source.Height);
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
