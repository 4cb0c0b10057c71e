namespace Upscaler.Core.Imaging;

/// <summary>
/// Gives fully transparent pixels the colour of the nearest visible ones before upscaling.
/// Their stored colour is meaningless (often black), and a convolutional model would smear it
/// across the edge into visible pixels as a dark fringe. Push-pull: average the visible colours
/// down a pyramid, then let each transparent pixel take the colour of its coarser parent.
/// </summary>
internal static class TransparentColourFill
{
    public static void Apply(ImagePlanes colour, ImagePlanes alpha)
    {
        int width = colour.Width, height = colour.Height;
        var alphaPlane = alpha.Plane(0);

        // Level 0 weights: 1 where anything is visible, 0 where fully transparent.
        var weight = new float[width * height];
        bool anyTransparent = false, anyVisible = false;
        for (int i = 0; i < weight.Length; i++)
        {
            bool visible = alphaPlane[i] > 0f;
            weight[i] = visible ? 1f : 0f;
            anyTransparent |= !visible;
            anyVisible |= visible;
        }
        if (!anyTransparent || !anyVisible)
            return;

        // Push: each coarser level holds weight-summed colour and the summed weight of its 2x2 children.
        var levels = new List<Level> { Level.FromImage(colour, weight) };
        while (levels[^1].Width > 1 || levels[^1].Height > 1)
            levels.Add(levels[^1].Halve());

        // Pull: resolve each level's colour from coarse to fine; pixels without weight take their parent's.
        for (int l = levels.Count - 1; l >= 0; l--)
            levels[l].Resolve(l + 1 < levels.Count ? levels[l + 1] : null);

        var finest = levels[0];
        for (int c = 0; c < 3; c++)
        {
            var plane = colour.Plane(c);
            for (int i = 0; i < plane.Length; i++)
                if (weight[i] == 0f)
                    plane[i] = finest.Colour[c][i];
        }
    }

    private sealed class Level(int width, int height)
    {
        public int Width { get; } = width;
        public int Height { get; } = height;
        public float[][] Colour { get; } = [new float[width * height], new float[width * height], new float[width * height]];
        public float[] Weight { get; } = new float[width * height];

        public static Level FromImage(ImagePlanes colour, float[] weight)
        {
            var level = new Level(colour.Width, colour.Height);
            weight.CopyTo(level.Weight, 0);
            for (int c = 0; c < 3; c++)
            {
                var plane = colour.Plane(c);
                for (int i = 0; i < weight.Length; i++)
                    level.Colour[c][i] = plane[i] * weight[i];
            }
            return level;
        }

        public Level Halve()
        {
            var coarse = new Level((Width + 1) / 2, (Height + 1) / 2);
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    int fine = y * Width + x, parent = (y / 2) * coarse.Width + x / 2;
                    coarse.Weight[parent] += Weight[fine];
                    for (int c = 0; c < 3; c++)
                        coarse.Colour[c][parent] += Colour[c][fine];
                }
            }
            return coarse;
        }

        /// <summary>Turns weighted sums into colours; empty pixels inherit the parent's resolved colour.</summary>
        public void Resolve(Level? parent)
        {
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    int i = y * Width + x;
                    float w = Weight[i];
                    for (int c = 0; c < 3; c++)
                    {
                        Colour[c][i] = w > 0f ? Colour[c][i] / w
                            : parent is null ? 0f
                            : parent.Colour[c][(y / 2) * parent.Width + x / 2];
                    }
                }
            }
        }
    }
}
