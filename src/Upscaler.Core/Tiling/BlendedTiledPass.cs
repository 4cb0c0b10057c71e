using Upscaler.Core.Imaging;
using Upscaler.Core.Inference;

namespace Upscaler.Core.Tiling;

/// <summary>
/// For models whose receptive field is too large (or unbounded) to pad tiles by it: every tile is read
/// with <c>overlap</c> pixels of context on each side, and neighbouring tiles are cross-faded with
/// complementary raised-cosine ramps over the <c>overlap</c> pixels straddling their shared cell border,
/// so weights sum to one everywhere and no seam shows. Each blended pixel still had at least half the
/// overlap of context in both tiles. The result differs from one whole-image pass by a small amount that
/// the tests measure per model; the manifest records the overlap.
/// <para>
/// Context is read from inside the image only: at the image's borders the network sees the border as it
/// would in one whole-image pass of its own (its convolutions' zero padding, as the model was trained),
/// so windows there are shifted inwards rather than padded with mirrored pixels. One tile is then exactly
/// the network's own whole-image pass, at ONNX Runtime's own cost; mirrored context of the overlap's
/// width would have cost 56 % more on a 480x320 image with a 48 px overlap.
/// </para>
/// <para>
/// Output is accumulated one row of tiles at a time in a band the image's width, and rows are handed to
/// the destination as soon as no later tile can touch them (libvips' "stream, don't materialise").
/// </para>
/// </summary>
internal sealed class BlendedTiledPass(ModelSession session, int width, int height, int tileSize)
    : TiledPass(session, width, height, tileSize)
{
    /// <summary>Half the width of the cross-fade, in input pixels: the ramps run from border - h to border + h.</summary>
    private int Half => Margin / 2;

    /// <summary>The smallest tile edge that keeps every cell at least as wide as a cross-fade (cells are at least half a tile).</summary>
    public static int MinTileEdge(int overlap) => 2 * overlap;

    protected override void RunTiles(ImagePlanes source, float denoise, IPlaneWriter destination, Action tileDone, CancellationToken cancellationToken)
    {
        int margin = Margin, s = Scale, half = Half;
        // One window shape for every tile (one memory plan), never larger than the image, except for a
        // session pinned to one shape (GPUs), which mirrors past the borders of a smaller image.
        bool pinned = Session.FixedTile is not null;
        var tensor = new TileTensor(Session.Model,
            pinned ? Grid.WindowWidth + 2 * margin : Math.Min(Grid.WindowWidth + 2 * margin, Width),
            pinned ? Grid.WindowHeight + 2 * margin : Math.Min(Grid.WindowHeight + 2 * margin, Height));
        int outW = tensor.Width * s, outH = tensor.Height * s;
        int bandWidth = Width * s;
        int bandCapacity = (Grid.WindowHeight + 2 * half) * s;
        var band = new float[3L * bandCapacity * bandWidth];
        int bandTop = 0; // output row held in the band's first row

        var tiles = Grid.Tiles;
        for (int i = 0; i < tiles.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tile = tiles[i];
            // The window with its context, shifted inwards at the image's borders (it still holds the
            // tile's share of the output: only context outside the image is given up).
            int windowX = InsideImage(tile.WindowX - margin, tensor.Width, Width);
            int windowY = InsideImage(tile.WindowY - margin, tensor.Height, Height);
            tensor.Gather(source, windowX, windowY);

            // The tile's share of the output: its cell, widened by the cross-fade towards every neighbour.
            int left = tile.X > 0 ? tile.X - half : 0, right = tile.X + tile.Width < Width ? tile.X + tile.Width + half : Width;
            int top = tile.Y > 0 ? tile.Y - half : 0, bottom = tile.Y + tile.Height < Height ? tile.Y + tile.Height + half : Height;
            var wx = Weights(left * s, right * s, tile.X * s, (tile.X + tile.Width) * s, half * s, Width * s);
            var wy = Weights(top * s, bottom * s, tile.Y * s, (tile.Y + tile.Height) * s, half * s, Height * s);
            int originX = windowX * s, originY = windowY * s;
            var layout = tensor.OutputLayout(left * s - originX, top * s - originY, outW, outH);

            Session.Run(tensor.Data, tensor.Height, tensor.Width, denoise, output =>
            {
                var values = tensor.Output(output);
                for (int c = 0; c < 3; c++)
                {
                    for (int row = 0; row < wy.Length; row++)
                    {
                        var from = values.Slice(layout.Offset + c * layout.PlaneStride + row * layout.RowStride, wx.Length);
                        var to = band.AsSpan((int)((c * (long)bandCapacity + top * s + row - bandTop) * bandWidth) + left * s, wx.Length);
                        float w = wy[row];
                        for (int x = 0; x < wx.Length; x++)
                            to[x] += w * wx[x] * from[x];
                    }
                }
            }, cancellationToken);
            tileDone();

            bool rowEnds = i == tiles.Count - 1 || tiles[i + 1].Y != tile.Y;
            if (rowEnds)
            {
                // Rows above the next cross-fade are final; the cross-fade's rows move to the band's top.
                bool last = i == tiles.Count - 1;
                int finalEnd = last ? Height * s : (tile.Y + tile.Height - half) * s;
                Flush(band, bandCapacity, bandWidth, bandTop, finalEnd, destination);
                int carried = last ? 0 : (tile.Y + tile.Height + half) * s - finalEnd;
                Shift(band, bandCapacity, bandWidth, finalEnd - bandTop, carried);
                bandTop = finalEnd;
            }
        }
    }

    /// <summary>Where a window of <paramref name="size"/> starts: at <paramref name="start"/>, moved inside the image where it fits.</summary>
    private static int InsideImage(int start, int size, int length) => size <= length ? Math.Clamp(start, 0, length - size) : start;

    /// <summary>
    /// Weights along one axis for output positions [from, to): a rising ramp over the cross-fade at the
    /// cell's start and a falling one at its end, unless that end is the image's border.
    /// </summary>
    private static float[] Weights(int from, int to, int cellStart, int cellEnd, int half, int length)
    {
        var w = new float[to - from];
        for (int p = from; p < to; p++)
        {
            double weight = 1;
            if (cellStart > 0 && p < cellStart + half)
                weight *= Ramp((p + 0.5 - (cellStart - half)) / (2.0 * half));
            if (cellEnd < length && p >= cellEnd - half)
                weight *= 1 - Ramp((p + 0.5 - (cellEnd - half)) / (2.0 * half));
            w[p - from] = (float)weight;
        }
        return w;
    }

    /// <summary>Raised cosine from 0 to 1 on [0, 1]; Ramp(t) + Ramp(1 - t) = 1, so neighbours' weights sum to one.</summary>
    private static double Ramp(double t) => t <= 0 ? 0 : t >= 1 ? 1 : 0.5 - 0.5 * Math.Cos(Math.PI * t);

    private static void Flush(float[] band, int capacity, int width, int bandTop, int end, IPlaneWriter destination)
    {
        int rows = end - bandTop;
        if (rows > 0)
            destination.Write(0, bandTop, width, rows, band, new PlanarLayout(0, width, capacity * width));
    }

    /// <summary>Moves <paramref name="count"/> rows starting at band row <paramref name="first"/> to the top and clears the rest.</summary>
    private static void Shift(float[] band, int capacity, int width, int first, int count)
    {
        for (int c = 0; c < 3; c++)
        {
            var plane = band.AsSpan(c * capacity * width, capacity * width);
            if (count > 0)
                plane.Slice(first * width, count * width).CopyTo(plane);
            plane.Slice(count * width).Clear();
        }
    }
}
