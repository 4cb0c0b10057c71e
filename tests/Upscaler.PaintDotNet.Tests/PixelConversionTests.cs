using Upscaler.Core;
using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

public class PixelConversionTests
{
    [Test]
    public void Bgra_becomes_straight_rgba_for_the_engine()
    {
        var canvas = new BgraCanvas(2, 1, [10, 20, 30, 40, 1, 2, 3, 0]);
        var image = PixelConversion.ToEngine(canvas);
        Assert.That((image.Layout, image.BitDepth, image.Width, image.Height), Is.EqualTo((PixelLayout.Rgba, 8, 2, 1)));
        // Straight alpha: colour under alpha 40 and under alpha 0 is passed on untouched.
        Assert.That(image.Data, Is.EqualTo(new byte[] { 30, 20, 10, 40, 3, 2, 1, 0 }));
    }

    [Test]
    public void Round_trip_is_exact()
    {
        var canvas = TestCanvases.Random(17, 9);
        Assert.That(PixelConversion.FromEngine(PixelConversion.ToEngine(canvas)).Data, Is.EqualTo(canvas.Data));
    }

    [Test]
    public void Only_8_bit_rgba_comes_back()
    {
        var rgb = new PixelImage(1, 1, PixelLayout.Rgb, 8, new byte[3]);
        Assert.Throws<ArgumentException>(() => PixelConversion.FromEngine(rgb));
    }

    [Test]
    public void Canvas_checks_its_buffer_size() =>
        Assert.Throws<ArgumentException>(() => _ = new BgraCanvas(2, 2, new byte[15]));
}
