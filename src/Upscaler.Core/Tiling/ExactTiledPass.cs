using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tiling;

/// <summary>
/// Each tile is read with a margin of the model's receptive field, mirrored at the image borders, and
/// only its centre is kept, so every kept output pixel saw exactly the context it would have seen in one
/// whole-image pass: no seams, and the same pixels whatever the tile size.
/// </summary>
internal sealed class ExactTiledPass(ModelSession session, int width, int height, int tileSize)
    : TiledPass(session, width, height, tileSize)
{
    protected override void RunTiles(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken) =>
        RunTiles(source, denoise, destination, tileDone, cancellationToken, statistics: null);

    /// <summary>The tiles, inside the pass of a <see cref="StatisticsSyncedPass"/>.</summary>
    /// <param name="statistics">The image's pooled values, for a split model's main graph.</param>
    internal void RunTiles(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken,
        IReadOnlyList<float[]>? statistics)
    {
        int margin = Margin, s = Scale;
        var tensor = new TileTensor(Session.Model, Grid.WindowWidth + 2 * margin, Grid.WindowHeight + 2 * margin);
        int outW = tensor.Width * s, outH = tensor.Height * s;

        for (int i = 0; i < Grid.Tiles.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tile = Grid.Tiles[i];
            tensor.Gather(source, tile.WindowX - margin, tile.WindowY - margin);

            // The kept cell lies inside the window, which lies inside the margin.
            var keep = tensor.OutputLayout((tile.X - tile.WindowX + margin) * s, (tile.Y - tile.WindowY + margin) * s, outW, outH);
            Session.Run(tensor.Data, tensor.Height, tensor.Width, denoise,
                output => destination.Write(tile.X * s, tile.Y * s, tile.Width * s, tile.Height * s, tensor.Output(output), keep),
                cancellationToken, statistics);
            tileDone();
        }
    }
}
