using Upscaler.PaintDotNet.Adapter;

namespace Upscaler.PaintDotNet.Tests;

public class CanvasReconstructionTests
{
    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void Nearest_neighbour_enlargement_is_undone_exactly(int factor)
    {
        var original = TestCanvases.Random(13, 7, seed: factor);
        var rebuilt = CanvasReconstruction.Reconstruct(TestCanvases.NearestEnlarge(original, factor), factor);
        Assert.That((rebuilt.Width, rebuilt.Height), Is.EqualTo((13, 7)));
        Assert.That(rebuilt.Data, Is.EqualTo(original.Data));
    }

    [Test]
    public void Blocks_of_mixed_opaque_pixels_are_area_averaged_with_rounding()
    {
        // One 2x2 block: blue values 0, 1, 1, 1 average 0.75 -> 1; red 10, 20, 30, 41 average 25.25 -> 25.
        var canvas = new BgraCanvas(2, 2, [0, 0, 10, 255, 1, 0, 20, 255, 1, 0, 30, 255, 1, 0, 41, 255]);
        Assert.That(CanvasReconstruction.Reconstruct(canvas, 2).Data, Is.EqualTo(new byte[] { 1, 0, 25, 255 }));
    }

    [Test]
    public void Colour_of_transparent_pixels_does_not_bleed_into_the_average()
    {
        // Half the block is opaque red, half transparent green: the colour stays red, alpha halves.
        var block = new BgraCanvas(2, 2, [0, 0, 200, 255, 0, 255, 0, 0, 0, 0, 200, 255, 0, 255, 0, 0]);
        Assert.That(CanvasReconstruction.Reconstruct(block, 2).Data, Is.EqualTo(new byte[] { 0, 0, 200, 128 }));
    }

    [Test]
    public void Fully_transparent_blocks_keep_their_plain_average_colour()
    {
        var block = new BgraCanvas(2, 2, [10, 20, 30, 0, 10, 20, 30, 0, 10, 20, 30, 0, 10, 20, 30, 0]);
        Assert.That(CanvasReconstruction.Reconstruct(block, 2).Data, Is.EqualTo(new byte[] { 10, 20, 30, 0 }));
    }

    [Test]
    public void Sizes_that_do_not_divide_use_the_whole_blocks_and_report_the_remainder()
    {
        Assert.That(CanvasReconstruction.OriginalSize(101, 50, 3), Is.EqualTo((33, 16)));
        Assert.That(CanvasReconstruction.Remainder(101, 50, 3), Is.EqualTo((2, 2)));
        var original = TestCanvases.Random(5, 4);
        var rebuilt = CanvasReconstruction.Reconstruct(TestCanvases.NearestEnlarge(original, 3, extraColumns: 2, extraRows: 1), 3);
        Assert.That(rebuilt.Data, Is.EqualTo(original.Data));
    }

    [Test]
    public void A_canvas_smaller_than_one_block_is_a_clear_error()
    {
        var e = Assert.Throws<CanvasTooSmallException>(() => CanvasReconstruction.Reconstruct(TestCanvases.Random(3, 8), 4));
        Assert.That(e!.Message, Does.Contain("Image › Resize").And.Not.Contain("\n"));
    }
}
