namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// Rebuilds the original image from a canvas the user enlarged with Image › Resize: each
/// factor×factor block becomes one pixel, the area average of the block. After a nearest-neighbour
/// resize every block is one colour, so the original comes back exactly; after a smooth resize the
/// average is the natural inverse (a box downscale).
/// </summary>
/// <remarks>
/// Colour is averaged weighted by alpha, so the invisible colour of transparent pixels does not bleed
/// into the edges of shapes (a block that is fully transparent averages its colour unweighted).
/// When a side is not a multiple of the factor only the whole blocks are used: the last
/// <c>side mod factor</c> columns or rows are the <see cref="Remainder"/>, and the effect leaves them
/// as they are on the canvas.
/// </remarks>
public static class CanvasReconstruction
{
    /// <summary>The size of the original that fits whole into the canvas: each side divided by the factor, rounded down.</summary>
    public static (int Width, int Height) OriginalSize(int canvasWidth, int canvasHeight, int factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        return (canvasWidth / factor, canvasHeight / factor);
    }

    /// <summary>Columns on the right and rows at the bottom that do not form a whole block.</summary>
    public static (int Columns, int Rows) Remainder(int canvasWidth, int canvasHeight, int factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(factor, 1);
        return (canvasWidth % factor, canvasHeight % factor);
    }

    /// <summary>Area-averages <paramref name="canvas"/> by <paramref name="factor"/>. Throws if not even one block fits.</summary>
    public static BgraCanvas Reconstruct(BgraCanvas canvas, int factor)
    {
        var (width, height) = OriginalSize(canvas.Width, canvas.Height, factor);
        if (width == 0 || height == 0)
            throw new CanvasTooSmallException($"the canvas is {canvas.Width}x{canvas.Height} px, smaller than one {factor}x{factor} block: enlarge the image by {factor}x with Image › Resize first");

        var original = BgraCanvas.Create(width, height);
        int n = factor * factor;
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                long alphaSum = 0, bw = 0, gw = 0, rw = 0, b = 0, g = 0, r = 0;
                for (int dy = 0; dy < factor; dy++)
                {
                    int i = canvas.Offset(x * factor, y * factor + dy);
                    for (int dx = 0; dx < factor; dx++, i += BgraCanvas.BytesPerPixel)
                    {
                        int a = canvas.Data[i + 3];
                        alphaSum += a;
                        b += canvas.Data[i];
                        g += canvas.Data[i + 1];
                        r += canvas.Data[i + 2];
                        bw += canvas.Data[i] * a;
                        gw += canvas.Data[i + 1] * a;
                        rw += canvas.Data[i + 2] * a;
                    }
                }

                int o = original.Offset(x, y);
                if (alphaSum == 0)
                {
                    original.Data[o] = RoundedQuotient(b, n);
                    original.Data[o + 1] = RoundedQuotient(g, n);
                    original.Data[o + 2] = RoundedQuotient(r, n);
                }
                else
                {
                    original.Data[o] = RoundedQuotient(bw, alphaSum);
                    original.Data[o + 1] = RoundedQuotient(gw, alphaSum);
                    original.Data[o + 2] = RoundedQuotient(rw, alphaSum);
                }
                original.Data[o + 3] = RoundedQuotient(alphaSum, n);
            }
        }
        return original;
    }

    // Non-negative operands only; rounds half up, and a block of one value returns that value exactly.
    private static byte RoundedQuotient(long sum, long count) => (byte)((2 * sum + count) / (2 * count));
}

/// <summary>The canvas cannot hold one block of the chosen factor.</summary>
public sealed class CanvasTooSmallException(string message) : Upscaler.Core.UpscalerException(message);
