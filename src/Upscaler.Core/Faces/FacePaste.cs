using System.Buffers;
using Upscaler.Core.Imaging;

namespace Upscaler.Core.Faces;

/// <summary>
/// Puts a restored face back into the upscaled image (the general model's result), invisibly: every
/// output pixel under the face's <see cref="FaceMask"/> reads the restored crop through the inverse of the
/// alignment (averaging n x n bilinear samples where the crop is finer than the output, so a face that was
/// enlarged for the model is not aliased on its way back), the crop's colours are matched to the general
/// result under the mask (per channel mean, and standard deviation within <see cref="MinStdRatio"/> ..
/// <see cref="MaxStdRatio"/>), and out = general + strength · mask · (restored − general). Pixels outside
/// the mask, and everything at strength 0, stay exactly as they were.
/// </summary>
internal static class FacePaste
{
    public const double MinStdRatio = 0.8, MaxStdRatio = 1.25;

    /// <param name="output">The general result, changed in place (colour channels only).</param>
    /// <param name="restored">The face model's output for the crop: side · modelScale pixels square.</param>
    /// <param name="modelScale">The face model's factor (restored pixels per crop pixel).</param>
    /// <param name="scaleX">Output pixels per input pixel across.</param>
    /// <param name="scaleY">Output pixels per input pixel down.</param>
    /// <param name="strength">0 leaves the output alone, 1 takes the restored face wholly inside the mask.</param>
    public static void Paste(PixelImage output, ImagePlanes restored, AlignedFace face, int modelScale, double scaleX, double scaleY, double strength)
    {
        if (strength <= 0)
            return;
        var toCrop = face.ToCrop;
        var back = toCrop.Inverse();
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        foreach (var (cx, cy) in new[] { (0.0, 0.0), (face.Side, 0.0), (0.0, face.Side), (face.Side, face.Side) })
        {
            var p = back.Apply(new Point2(cx, cy));
            minX = Math.Min(minX, p.X); maxX = Math.Max(maxX, p.X);
            minY = Math.Min(minY, p.Y); maxY = Math.Max(maxY, p.Y);
        }
        int x0 = Math.Max(0, (int)Math.Floor(minX * scaleX)), x1 = Math.Min(output.Width, (int)Math.Ceiling(maxX * scaleX));
        int y0 = Math.Max(0, (int)Math.Floor(minY * scaleY)), y1 = Math.Min(output.Height, (int)Math.Ceiling(maxY * scaleY));
        if (x1 <= x0 || y1 <= y0)
            return;

        int w = x1 - x0, h = y1 - y0, n = w * h;
        int channels = output.IsGray ? 1 : 3;
        double ratio = toCrop.Scale * modelScale / scaleX;
        int samples = Math.Max(1, (int)Math.Ceiling(ratio - 1e-9));
        // A turned face's box at x4 is up to ~3 MP: its buffers are rented, so the faces of a photo reuse
        // memory that is already mapped (fresh arrays of doubles were 190 MB a face, page-faulted each time).
        var mask = ArrayPool<float>.Shared.Rent(n);
        var fresh = ArrayPool<float>.Shared.Rent(channels * n);
        var rowSums = new double[h * ColourSums.PerRow];
        int r = restored.Width;
        try
        {
            // Every output pixel is independent: bands of rows run on the cores. Each row keeps its own colour
            // sums, added up in row order below, so the result is the same on any number of cores.
            RowBands.For(h, w * 3 * samples * samples, (firstRow, endRow) =>
            {
                var rgb = new double[3];
                for (int y = firstRow; y < endRow; y++)
                {
                    var sums = rowSums.AsSpan(y * ColourSums.PerRow, ColourSums.PerRow);
                    for (int x = 0; x < w; x++)
                    {
                        int i = y * w + x;
                        var centre = toCrop.Apply(new Point2((x0 + x + 0.5) / scaleX, (y0 + y + 0.5) / scaleY));
                        double m = FaceMask.Weight(centre.X / face.Side, centre.Y / face.Side);
                        mask[i] = (float)m;
                        if (m <= 0)
                            continue;
                        Array.Clear(rgb);
                        for (int a = 0; a < samples; a++)
                        {
                            for (int b = 0; b < samples; b++)
                            {
                                var p = toCrop.Apply(new Point2((x0 + x + (b + 0.5) / samples) / scaleX, (y0 + y + (a + 0.5) / samples) / scaleY));
                                for (int c = 0; c < 3; c++)
                                    rgb[c] += Bilinear.Sample(restored.Plane(c), r, r, p.X * modelScale - 0.5, p.Y * modelScale - 0.5);
                            }
                        }
                        double count = samples * samples;
                        for (int c = 0; c < channels; c++)
                        {
                            double f = channels == 1 ? (rgb[0] + rgb[1] + rgb[2]) / (3 * count) : rgb[c] / count;
                            fresh[c * n + i] = (float)f;
                            ColourSums.Add(sums, c, m, f, Read(output, x0 + x, y0 + y, c));
                        }
                    }
                }
            });

            var match = ColourSums.Match(rowSums, h, channels);
            if (match is null)
                return;
            RowBands.For(h, w * channels, (firstRow, endRow) =>
            {
                for (int i = firstRow * w; i < endRow * w; i++)
                {
                    if (mask[i] <= 0)
                        continue;
                    int x = x0 + i % w, y = y0 + i / w;
                    for (int c = 0; c < channels; c++)
                    {
                        double g = Read(output, x, y, c);
                        double matched = match[c].Apply(fresh[c * n + i]);
                        PixelImageWriter.WriteSample(output, x, y, c, (float)(g + strength * mask[i] * (matched - g)));
                    }
                }
            });
        }
        finally
        {
            ArrayPool<float>.Shared.Return(mask);
            ArrayPool<float>.Shared.Return(fresh);
        }
    }

    /// <summary>
    /// The mask-weighted colour sums of a face's pixels, one set per row (weight, then per channel Σ m·f,
    /// Σ m·g, Σ m·f², Σ m·g² of the restored face f and the general result g), and the colour match they give:
    /// the restored face shifted to the general result's mean under the mask and scaled to its spread,
    /// the ratio of spreads bounded to <see cref="MinStdRatio"/> .. <see cref="MaxStdRatio"/>.
    /// </summary>
    private static class ColourSums
    {
        public const int PerRow = 1 + 4 * 3;

        public static void Add(Span<double> row, int channel, double m, double f, double g)
        {
            if (channel == 0)
                row[0] += m;
            var s = row.Slice(1 + 4 * channel, 4);
            s[0] += m * f;
            s[1] += m * g;
            s[2] += m * f * f;
            s[3] += m * g * g;
        }

        /// <summary>Per channel, the linear map of the colour match; null when the mask covers no pixel.</summary>
        public static ChannelMatch[]? Match(double[] rowSums, int rows, int channels)
        {
            var total = new double[PerRow];
            for (int y = 0; y < rows; y++)
                for (int k = 0; k < PerRow; k++)
                    total[k] += rowSums[y * PerRow + k];
            double weight = total[0];
            if (weight <= 0)
                return null;
            var match = new ChannelMatch[channels];
            for (int c = 0; c < channels; c++)
            {
                var s = total.AsSpan(1 + 4 * c, 4);
                double mf = s[0] / weight, mg = s[1] / weight;
                double sf = Math.Sqrt(Math.Max(s[2] / weight - mf * mf, 1e-12)), sg = Math.Sqrt(Math.Max(s[3] / weight - mg * mg, 1e-12));
                match[c] = new ChannelMatch(mf, mg, Math.Clamp(sg / sf, MinStdRatio, MaxStdRatio));
            }
            return match;
        }
    }

    private readonly record struct ChannelMatch(double FreshMean, double GeneralMean, double Gain)
    {
        public double Apply(double fresh) => (fresh - FreshMean) * Gain + GeneralMean;
    }

    private static double Read(PixelImage image, int x, int y, int channel) => image.GetSample(x, y, channel) / (double)image.MaxValue;
}
