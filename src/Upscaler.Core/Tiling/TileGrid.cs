namespace Upscaler.Core.Tiling;

/// <summary>A rectangle of the image a tile is responsible for, in that pass's input pixels.</summary>
internal readonly record struct Tile(int X, int Y, int Width, int Height);

/// <summary>
/// Splits an image into near-equal tiles no larger than the tile size, so no thin leftover tile
/// pays the full padding cost on its own.
/// </summary>
internal static class TileGrid
{
    /// <param name="tileSize">Largest tile edge; 0 makes the whole image one tile.</param>
    public static IReadOnlyList<Tile> Create(int width, int height, int tileSize)
    {
        int columns = tileSize == 0 ? 1 : (width + tileSize - 1) / tileSize;
        int rows = tileSize == 0 ? 1 : (height + tileSize - 1) / tileSize;
        var tiles = new List<Tile>(columns * rows);
        for (int r = 0; r < rows; r++)
        {
            int y0 = Split(height, rows, r), y1 = Split(height, rows, r + 1);
            for (int c = 0; c < columns; c++)
            {
                int x0 = Split(width, columns, c), x1 = Split(width, columns, c + 1);
                tiles.Add(new Tile(x0, y0, x1 - x0, y1 - y0));
            }
        }
        return tiles;
    }

    private static int Split(int length, int parts, int index) => (int)((long)length * index / parts);
}
