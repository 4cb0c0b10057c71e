using Upscaler.Bridge.Protocol;
using Upscaler.Core;

namespace Upscaler.Bridge.Tests;

/// <summary>How much the frame reader allocates for a large image: the pixel buffer and one first chunk, no more.</summary>
public class FrameReaderMemoryTests
{
    [Test]
    public async Task A_large_pixel_block_is_read_into_one_buffer_with_one_64_MiB_first_chunk()
    {
        // 7000x7000 RGB: 147 MB, past the 64 MiB first chunk. Growing by doubling allocated 64 + 128 + 147 MiB.
        const int side = 7000;
        long pixels = (long)side * side * 3;
        var header = Frames.UpscaleHeader(1, side, side, 3, 8, scale: 1);
        var frame = new MemoryStream();
        frame.Write(Frames.Frame(1, header, length: (ulong)(header.Length + pixels)));
        frame.SetLength(frame.Length + pixels); // the pixels: zeros
        frame.Position = 0;

        var reader = new FrameReader(frame);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var request = await reader.ReadAsync();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        var image = ((UpscaleFrame)request!).Image;
        Assert.That((image.Width, image.Height, image.Layout), Is.EqualTo((side, side, PixelLayout.Rgb)));
        TestContext.Out.WriteLine($"allocated {allocated / 1e6:0.0} MB for {pixels / 1e6:0.0} MB of pixels");
        Assert.That(allocated, Is.LessThan(pixels + (64 << 20) + (1 << 20)));
    }
}
