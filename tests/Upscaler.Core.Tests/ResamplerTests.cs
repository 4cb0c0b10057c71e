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
}
