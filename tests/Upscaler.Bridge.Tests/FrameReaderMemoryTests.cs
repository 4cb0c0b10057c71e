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

        // This thread's allocations only: other tests' leftover work in this process must not count.
        // A memory stream's reads complete synchronously, so the whole read runs on this thread (the
        // lower bound below proves it: the pixels themselves were allocated here).
        var reader = new FrameReader(frame);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var request = await reader.ReadAsync();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        var image = ((UpscaleFrame)request!).Image;
        Assert.That((image.Width, image.Height, image.Layout), Is.EqualTo((side, side, PixelLayout.Rgb)));
        TestContext.Out.WriteLine($"allocated {allocated / 1e6:0.0} MB for {pixels / 1e6:0.0} MB of pixels");
        Assert.That(allocated, Is.GreaterThanOrEqualTo(pixels).And.LessThan(pixels + (64 << 20) + (1 << 20)));
    }
}
