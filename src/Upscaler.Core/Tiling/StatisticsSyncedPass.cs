using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tiling;

/// <summary>
/// For split models (global pooling, e.g. Real-CUGAN's squeeze-excitation): tiles pooling over
/// themselves would each see different statistics, and the result would shift in colour and contrast
/// from tile to tile. So the pass runs twice over the tiles: first the statistics graph on every
/// tile's window, combined over the image (area-weighted mean, or max); then the main graph, which is
/// local, on exactly padded tiles fed the combined values. With one tile covering the image this is
/// the model's own one-pass result; with several, the statistics are those of windows, not of the whole
/// image, and the difference is measured per model in models/README.md.
/// </summary>
internal sealed class StatisticsSyncedPass(ModelSession session, StatisticsSession statistics, int width, int height, int tileSize)
    : TiledPass(session, width, height, tileSize)
{
    private readonly ExactTiledPass _main = new(session, width, height, tileSize);

    public override int TileCount => 2 * Grid.Tiles.Count;

    protected override void RunTiles(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken)
    {
        var pooled = Pool(source, tileDone, cancellationToken);
        _main.RunTiles(source, denoise, destination, tileDone, cancellationToken, pooled);
    }

    private List<float[]> Pool(ImagePlanes source, Action tileDone, CancellationToken cancellationToken)
    {
        var values = Session.Model.Statistics!.Values;
        var combined = values.Select(v => Enumerable.Repeat(v.IsMax ? double.NegativeInfinity : 0.0, v.Channels).ToArray()).ToList();
        var window = new TileTensor(Session.Model, Grid.WindowWidth, Grid.WindowHeight);
        double area = (double)Width * Height;

        foreach (var tile in Grid.Tiles)
        {
            window.Gather(source, tile.WindowX, tile.WindowY);
            var tileValues = statistics.Run(window.Data, window.Height, window.Width, cancellationToken);
            double weight = tile.Width * tile.Height / area;
            for (int v = 0; v < values.Count; v++)
                for (int c = 0; c < values[v].Channels; c++)
                    combined[v][c] = values[v].IsMax
                        ? Math.Max(combined[v][c], tileValues[v][c])
                        : combined[v][c] + weight * tileValues[v][c];
            tileDone();
        }
        return combined.Select(v => v.Select(x => (float)x).ToArray()).ToList();
    }
}
