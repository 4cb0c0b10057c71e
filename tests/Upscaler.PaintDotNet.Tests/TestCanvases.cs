using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

internal static class TestCanvases
{
    /// <summary>A canvas of seeded random pixels, alpha included.</summary>
    public static BgraCanvas Random(int width, int height, int seed = 1, bool opaque = false)
    {
        var data = new byte[width * height * 4];
        new Random(seed).NextBytes(data);
        if (opaque)
            for (int i = 3; i < data.Length; i += 4)
                data[i] = 255;
        return new BgraCanvas(width, height, data);
    }

    /// <summary>What Image › Resize with Nearest Neighbor does: every pixel becomes a factor×factor block.</summary>
    public static BgraCanvas NearestEnlarge(BgraCanvas original, int factor, int extraColumns = 0, int extraRows = 0)
    {
        var big = BgraCanvas.Create(original.Width * factor + extraColumns, original.Height * factor + extraRows);
        for (int y = 0; y < big.Height; y++)
            for (int x = 0; x < big.Width; x++)
            {
                int sx = Math.Min(x / factor, original.Width - 1), sy = Math.Min(y / factor, original.Height - 1);
                Array.Copy(original.Data, original.Offset(sx, sy), big.Data, big.Offset(x, y), 4);
            }
        return big;
    }

    public static string PluginDirectory => Path.Combine(AppContext.BaseDirectory, "plugin");
}
