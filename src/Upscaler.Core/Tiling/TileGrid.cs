namespace Upscaler.Core.Tiling;

/// <summary>
/// One tile of a pass, in that pass's input pixels: the cell whose output it keeps, and the window
/// (at least as large, and the same size for every tile of the pass) that is fed to the model.
/// </summary>
internal readonly record struct Tile(int X, int Y, int Width, int Height, int WindowX, int WindowY);

/// <summary>
/// Splits an image into near-equal cells no larger than the tile size, so no thin leftover tile pays
/// the full padding cost on its own. Every cell is read through a window of the largest cell's size,
/// shifted inwards at the right and bottom edges, so all tiles of a pass have one shape: ONNX Runtime
/// then reuses one memory plan and one arena block for every tile, and a GPU compiles its shaders once.
/// </summary>
internal sealed class TileGrid
{
    private TileGrid(int windowWidth, int windowHeight, IReadOnlyList<Tile> tiles)
    {
        WindowWidth = windowWidth;
        WindowHeight = windowHeight;
        Tiles = tiles;
    }

    public int WindowWidth { get; }
    public int WindowHeight { get; }
    public IReadOnlyList<Tile> Tiles { get; }

    /// <param name="tileSize">Largest tile edge; 0 makes the whole image one tile.</param>
    /// <param name="fixedWindow">
    /// Read every tile through a tileSize x tileSize window whatever the image size, mirroring past the
    /// image when it is smaller: for sessions whose input shape is fixed (GPU shaders compiled once).
    /// </param>
    public static TileGrid Create(int width, int height, int tileSize, bool fixedWindow = false)
    {
        if (fixedWindow && tileSize == 0)
            throw new ArgumentOutOfRangeException(nameof(tileSize), "a fixed window needs a tile size");
        int columns = tileSize == 0 ? 1 : (width + tileSize - 1) / tileSize;
        int rows = tileSize == 0 ? 1 : (height + tileSize - 1) / tileSize;
        int windowWidth = fixedWindow ? tileSize : (width + columns - 1) / columns;
        int windowHeight = fixedWindow ? tileSize : (height + rows - 1) / rows;
        var tiles = new List<Tile>(columns * rows);
        for (int r = 0; r < rows; r++)
        {
            int y0 = Split(height, rows, r), y1 = Split(height, rows, r + 1);
            for (int c = 0; c < columns; c++)
            {
                int x0 = Split(width, columns, c), x1 = Split(width, columns, c + 1);
                // Shifted inwards at the far edges; a window larger than the image starts at 0 and mirrors.
                tiles.Add(new Tile(x0, y0, x1 - x0, y1 - y0,
                    WindowX: Math.Max(0, Math.Min(x0, width - windowWidth)), WindowY: Math.Max(0, Math.Min(y0, height - windowHeight))));
            }
        }
        return new TileGrid(windowWidth, windowHeight, tiles);
    }

    private static int Split(int length, int parts, int index) => (int)((long)length * index / parts);
}
