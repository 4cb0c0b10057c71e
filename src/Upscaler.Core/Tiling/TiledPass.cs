using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tiling;

/// <summary>
/// Runs one model over a whole image tile by tile, writing the result (scale times larger) to a
/// destination. Two policies, chosen by the model's manifest entry: <see cref="ExactTiledPass"/> when its
/// receptive field is known and small (tiles padded by it; identical to one whole-image pass), and
/// <see cref="BlendedTiledPass"/> otherwise (tiles overlap and are cross-faded).
/// </summary>
internal abstract class TiledPass
{
    protected TiledPass(ModelSession session, int width, int height, int tileSize)
    {
        if (session.FixedTile is int pinned && pinned != tileSize)
            throw new ArgumentException($"a session pinned to {pinned} px tiles cannot run {tileSize} px tiles", nameof(tileSize));
        Session = session;
        Width = width;
        Height = height;
        TileSize = tileSize;
        Grid = TileGrid.Create(width, height, tileSize, fixedWindow: session.FixedTile is not null);
    }

    /// <param name="statistics">The statistics graph, for models that have one (a third policy, <see cref="StatisticsSyncedPass"/>).</param>
    public static TiledPass Create(ModelSession session, int width, int height, int tileSize, StatisticsSession? statistics = null) =>
        statistics is not null ? new StatisticsSyncedPass(session, statistics, width, height, tileSize)
        : session.Model.Tiling.Blended ? new BlendedTiledPass(session, width, height, tileSize)
        : new ExactTiledPass(session, width, height, tileSize);

    public ModelSession Session { get; }
    public int Width { get; }
    public int Height { get; }
    public int TileSize { get; }
    public int Scale => Session.Model.Scale;
    /// <summary>Model runs this pass makes, for progress.</summary>
    public virtual int TileCount => Grid.Tiles.Count;
    protected TileGrid Grid { get; }
    protected int Margin => Session.Model.Tiling.Margin;

    /// <summary>Pixels of the window fed to the model for each tile, its context included (at most).</summary>
    private long WindowPixels => (long)(Grid.WindowWidth + 2 * Margin) * (Grid.WindowHeight + 2 * Margin);

    /// <summary>
    /// Runs every tile; <paramref name="tileDone"/> follows along. Throws on cancellation or failure. The
    /// session's CPU arena is kept while the pass runs and given back once the engine is idle.
    /// </summary>
    public void Run(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken)
    {
        using var pass = Session.BeginPass(TileSizer.BytesPerPixel(Session.Model) * WindowPixels);
        RunTiles(source, denoise, destination, tileDone, cancellationToken);
    }

    protected abstract void RunTiles(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken);
}
