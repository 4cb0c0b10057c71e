namespace Upscaler.Core;

/// <summary>Tiles finished out of all the tiles this upscale runs (every model pass and alpha included).</summary>
public readonly record struct UpscaleProgress(int TilesDone, int TilesTotal)
{
    public double Fraction => TilesTotal == 0 ? 1.0 : (double)TilesDone / TilesTotal;
}
