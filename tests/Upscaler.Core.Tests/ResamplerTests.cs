using Upscaler.Core.Imaging;

namespace Upscaler.Core.Tests;

[TestFixture]
public class ResamplerTests
{
    [TestCase(40, 30)]
    [TestCase(40, 90)]
    [TestCase(64, 48)]
    public void A_linear_ramp_stays_a_linear_ramp(int from, int to)
    {
        // Lanczos reproduces linear functions exactly away from the clamped borders.
        var source = new ImagePlanes(3, from, from);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < from; y++)
                for (int x = 0; x < from; x++)
                    source.Plane(c)[y * from + x] = (x + 0.5f) / from * 0.5f + (y + 0.5f) / from * 0.25f + c * 0.1f;

        var target = new ImagePlanes(3, to, to);
        LanczosResampler.Resize(source, target);

        int border = (int)Math.Ceiling(4.0 * Math.Max(1, (double)to / from)) + 1;
        for (int c = 0; c < 3; c++)
            for (int y = border; y < to - border; y++)
                for (int x = border; x < to - border; x++)
                {
                    float expected = (x + 0.5f) / to * 0.5f + (y + 0.5f) / to * 0.25f + c * 0.1f;
                    Assert.That(target.Plane(c)[y * to + x], Is.EqualTo(expected).Within(2e-3), $"({x}, {y}, {c})");
                }
    }

    [Test]
    public void A_flat_image_stays_flat_to_the_edges()
    {
        var source = new ImagePlanes(3, 17, 11);
        source.Data.AsSpan().Fill(0.42f);
        var target = new ImagePlanes(3, 50, 7);
        LanczosResampler.Resize(source, target);
        Assert.That(target.Data, Is.All.EqualTo(0.42f).Within(1e-5));
    }

    [TestCase(37, 23, 28, 17)]   // shrink, as after a x4 pass for x3
    [TestCase(20, 15, 47, 31)]   // enlarge
    public void Matches_a_direct_double_precision_lanczos3(int sw, int sh, int dw, int dh)
    {
        var source = RandomPlanes(sw, sh, seed: 4);
        var target = new ImagePlanes(3, dw, dh);
        LanczosResampler.Resize(source, target);

        // The textbook definition, computed independently: separable Lanczos-3 widened by the shrink
        // ratio, weights normalised per output sample, source indices clamped at the edges.
        static (int[] Index, double[] Weight)[] Axis(int from, int to)
        {
            double ratio = (double)from / to, scale = Math.Max(1, ratio);
            var axis = new (int[], double[])[to];
            for (int i = 0; i < to; i++)
            {
                double centre = (i + 0.5) * ratio - 0.5;
                var taps = Enumerable.Range((int)Math.Floor(centre - 3 * scale) - 1, (int)(6 * scale) + 4)
                    .Select(j => (j, w: Sinc3((j - centre) / scale))).Where(t => t.w != 0).ToArray();
                double sum = taps.Sum(t => t.w);
                axis[i] = (taps.Select(t => Math.Clamp(t.j, 0, from - 1)).ToArray(), taps.Select(t => t.w / sum).ToArray());
            }
            return axis;
        }
        static double Sinc3(double x) => Math.Abs(x) < 1e-12 ? 1 : Math.Abs(x) >= 3 ? 0
            : 3 * Math.Sin(Math.PI * x) * Math.Sin(Math.PI * x / 3) / (Math.PI * Math.PI * x * x);

        var ax = Axis(sw, dw);
        var ay = Axis(sh, dh);
        double worst = 0;
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < dh; y++)
                for (int x = 0; x < dw; x++)
                {
                    double expected = 0;
                    for (int j = 0; j < ay[y].Index.Length; j++)
                        for (int i = 0; i < ax[x].Index.Length; i++)
                            expected += ay[y].Weight[j] * ax[x].Weight[i] * source.Plane(c)[ay[y].Index[j] * sw + ax[x].Index[i]];
                    worst = Math.Max(worst, Math.Abs(expected - target.Plane(c)[y * dw + x]));
                }
        Assert.That(worst, Is.LessThan(1e-5));
    }

    [Test]
    public void Rows_streamed_in_blocks_give_the_same_result_as_one_write()
    {
        // How the last model pass feeds it: blocks in row-major order, rows complete one band at a time.
        var source = RandomPlanes(61, 45, seed: 8);
        var whole = new ImagePlanes(3, 46, 34);
        LanczosResampler.Resize(source, whole);

        var streamed = new ImagePlanes(3, 46, 34);
        var resampler = new LanczosResampler(3, 61, 45, streamed);
        int[] xs = [0, 20, 41, 61], ys = [0, 11, 30, 45];
        for (int r = 0; r < 3; r++)
            for (int b = 0; b < 3; b++)
                resampler.Write(xs[b], ys[r], xs[b + 1] - xs[b], ys[r + 1] - ys[r], source.Data,
                    new PlanarLayout(ys[r] * 61 + xs[b], 61, source.PlaneSize));

        Assert.That(streamed.Data, Is.EqualTo(whole.Data));
    }

    [TestCase(4000, 3000)]   // x3 from a x4 pass
    [TestCase(53, 20)]
    [TestCase(20, 53)]
    public void Lines_side_by_side_give_the_same_bits_as_one_line_at_a_time(int from, int to)
    {
        // The resampler's horizontal pass filters one row per vector lane; each lane must be that row's
        // own weighted sum, in tap order, with the source clamped at the edges.
        var kernel = LanczosKernel.For(from, to);
        int lanes = System.Numerics.Vector<float>.Count;
        var random = new Random(5);
        var lines = Enumerable.Range(0, lanes).Select(_ => Enumerable.Range(0, from).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
        var padded = new System.Numerics.Vector<float>[kernel.PadBefore + from + kernel.PadAfter];
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<System.Numerics.Vector<float>, float>(padded.AsSpan());
        for (int i = 0; i < padded.Length; i++)
            for (int lane = 0; lane < lanes; lane++)
                samples[i * lanes + lane] = lines[lane][Math.Clamp(i - kernel.PadBefore, 0, from - 1)];
        var result = new System.Numerics.Vector<float>[to];

        kernel.ApplyLanes(padded, result);

        for (int lane = 0; lane < lanes; lane++)
            for (int x = 0; x < to; x++)
            {
                float expected = 0f;
                var taps = kernel.Taps(x);
                for (int t = 0; t < taps.Length; t++)
                    expected += taps[t] * lines[lane][kernel.SourceIndex(kernel.First(x) + t)];
                Assert.That(result[x][lane], Is.EqualTo(expected), $"lane {lane}, sample {x}");
            }
    }

    private static ImagePlanes RandomPlanes(int width, int height, int seed)
    {
        var random = new Random(seed);
        var planes = new ImagePlanes(3, width, height);
        for (int i = 0; i < planes.Data.Length; i++)
            planes.Data[i] = (float)random.NextDouble();
        return planes;
    }
}
