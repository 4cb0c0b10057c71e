namespace Upscaler.Core.Tests;

[TestFixture]
public class AlphaTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);

    // A warm-coloured disc on a fully transparent background whose hidden colour is black,
    // the usual content of exported cut-outs.
    private static PixelImage Disc(int size, int bitDepth = 8)
    {
        var image = PixelImage.Create(size, size, PixelLayout.Rgba, bitDepth);
        double r = size * 0.35, cx = size / 2.0, cy = size / 2.0;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                double d = Math.Sqrt((x + 0.5 - cx) * (x + 0.5 - cx) + (y + 0.5 - cy) * (y + 0.5 - cy));
                double a = Math.Clamp(r - d + 0.5, 0, 1);
                TestImages.Set(image, x, y, 3, a);
                if (a > 0)
                {
                    TestImages.Set(image, x, y, 0, 0.85);
                    TestImages.Set(image, x, y, 1, 0.55);
                    TestImages.Set(image, x, y, 2, 0.25);
                }
            }
        return image;
    }

    [Test]
    public async Task Alpha_is_upscaled_smoothly_not_dropped_or_blocky()
    {
        var output = await Engine.UpscaleAsync(Disc(24), new UpscaleOptions { Scale = 4 });

        Assert.That(output.Layout, Is.EqualTo(PixelLayout.Rgba));
        Assert.That(output.GetSample(48, 48, 3), Is.GreaterThan(240), "centre stays opaque");
        Assert.That(output.GetSample(1, 1, 3), Is.LessThan(10), "corner stays transparent");

        // Along a row through the disc edge, alpha must take several intermediate steps: nearest-neighbour
        // would give runs of 4 equal values at every step.
        var row = Enumerable.Range(0, output.Width).Select(x => output.GetSample(x, 48, 3)).ToArray();
        int distinctPartials = row.Where(a => a is > 5 and < 250).Distinct().Count();
        Assert.That(distinctPartials, Is.GreaterThanOrEqualTo(2));
    }

    [Test]
    public async Task Visible_edge_pixels_keep_their_colour_without_dark_fringes()
    {
        var output = await Engine.UpscaleAsync(Disc(24), new UpscaleOptions { Scale = 4 });

        // Wherever the result is visible, its colour must stay near the disc colour (0.85, 0.55, 0.25).
        // Black bleeding in from the transparent area would pull red far below that at the rim.
        double worstRed = 1;
        for (int y = 0; y < output.Height; y++)
            for (int x = 0; x < output.Width; x++)
                if (output.GetSample(x, y, 3) > 25)
                    worstRed = Math.Min(worstRed, output.GetSample(x, y, 0) / 255.0);
        Assert.That(worstRed, Is.GreaterThan(0.7));
    }

    [Test]
    public async Task Opaque_alpha_stays_exactly_opaque()
    {
        var input = TestImages.Pattern(20, 20, PixelLayout.Rgba, 16);
        for (int i = 3; i < input.Width * input.Height * 4; i += 4)
            BitConverter.TryWriteBytes(input.Data.AsSpan(2 * i, 2), ushort.MaxValue);

        var output = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 3 });
        for (int y = 0; y < output.Height; y++)
            for (int x = 0; x < output.Width; x++)
                Assert.That(output.GetSample(x, y, 3), Is.EqualTo(ushort.MaxValue));
    }

    [Test]
    public async Task Alpha_tiles_without_seams_like_colour()
    {
        var input = Disc(40);
        var whole = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, TileSize = 0 });
        var tiled = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 2, TileSize = 16 });
        Assert.That(TestImages.MaxDifference(whole, tiled), Is.LessThanOrEqualTo(1.0 / 255));
    }
}

[TestFixture]
public class TransparentColourFillTests
{
    [Test]
    public void Transparent_pixels_take_the_colour_of_nearby_visible_pixels()
    {
        // Left half visible orange, right half transparent black.
        var colour = new Imaging.ImagePlanes(3, 16, 8);
        var alpha = new Imaging.ImagePlanes(1, 16, 8);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
            {
                alpha.Plane(0)[y * 16 + x] = 1f;
                colour.Plane(0)[y * 16 + x] = 0.9f;
                colour.Plane(1)[y * 16 + x] = 0.5f;
            }

        Imaging.TransparentColourFill.Apply(colour, alpha);

        for (int y = 0; y < 8; y++)
            for (int x = 8; x < 16; x++)
            {
                Assert.That(colour.Plane(0)[y * 16 + x], Is.EqualTo(0.9f).Within(1e-6));
                Assert.That(colour.Plane(1)[y * 16 + x], Is.EqualTo(0.5f).Within(1e-6));
                Assert.That(colour.Plane(2)[y * 16 + x], Is.EqualTo(0f).Within(1e-6));
            }
    }

    [Test]
    public void Visible_pixels_are_left_untouched()
    {
        var colour = new Imaging.ImagePlanes(3, 5, 5);
        var alpha = new Imaging.ImagePlanes(1, 5, 5);
        alpha.Plane(0)[12] = 0.01f;
        colour.Plane(2)[12] = 0.3f;

        Imaging.TransparentColourFill.Apply(colour, alpha);

        Assert.That(colour.Plane(2)[12], Is.EqualTo(0.3f));
        Assert.That(colour.Plane(2)[0], Is.EqualTo(0.3f), "transparent pixels inherit the one visible colour");
    }
}
