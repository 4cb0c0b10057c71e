using Upscaler.Core.Imaging;

namespace Upscaler.Core.Tests;

/// <summary>
/// The output writer (vectorised, rows split across cores) against the definition of quantizing,
/// sample by sample, for every layout and bit depth, colour and alpha, small blocks and blocks large
/// enough to be split, and planes read forwards (RGB) and backwards (BGR models).
/// </summary>
[TestFixture]
public class PixelImageWriterTests
{
    [TestCase(PixelLayout.Gray, 8)]
    [TestCase(PixelLayout.GrayAlpha, 8)]
    [TestCase(PixelLayout.Rgb, 8)]
    [TestCase(PixelLayout.Rgba, 8)]
    [TestCase(PixelLayout.Gray, 16)]
    [TestCase(PixelLayout.GrayAlpha, 16)]
    [TestCase(PixelLayout.Rgb, 16)]
    [TestCase(PixelLayout.Rgba, 16)]
    public void Every_sample_is_the_quantized_value_of_its_plane(PixelLayout layout, int bitDepth)
    {
        foreach (var (width, height) in new[] { (7, 5), (613, 229) }) // the second is split into bands
        {
            foreach (bool alpha in new[] { false, true })
            {
                if (alpha && layout is PixelLayout.Gray or PixelLayout.Rgb)
                    continue;
                foreach (bool reversed in new[] { false, true })
                {
                    // A block at (3, 2) of a larger image, read from a buffer with a border around it.
                    int bufferW = width + 5, bufferH = height + 4, plane = bufferW * bufferH;
                    var source = Values(3 * plane, seed: width + (alpha ? 1 : 0));
                    int offset = 2 * bufferW + 1;
                    var planes = reversed ? new PlanarLayout(offset + 2 * plane, bufferW, -plane) : new PlanarLayout(offset, bufferW, plane);
                    var image = PixelImage.Create(width + 6, height + 3, layout, bitDepth);
                    var writer = alpha ? PixelImageWriter.Alpha(image) : PixelImageWriter.Colour(image);

                    writer.Write(3, 2, width, height, source, planes);

                    float max = image.MaxValue;
                    for (int y = 0; y < image.Height; y++)
                    {
                        for (int x = 0; x < image.Width; x++)
                        {
                            bool inside = x >= 3 && x < 3 + width && y >= 2 && y < 2 + height;
                            float R(int c) => source[planes.Offset + c * planes.PlaneStride + (y - 2) * planes.RowStride + (x - 3)];
                            for (int c = 0; c < image.Channels; c++)
                            {
                                bool colourChannel = c < (image.IsGray ? 1 : 3);
                                int expected = !inside ? 0
                                    : alpha ? (c == image.Channels - 1 ? PixelImageWriter.Quantize((R(0) + R(1) + R(2)) * (1f / 3f), max) : 0)
                                    : !colourChannel ? 0
                                    : image.IsGray ? PixelImageWriter.Quantize((R(0) + R(1) + R(2)) * (1f / 3f), max)
                                    : PixelImageWriter.Quantize(R(c), max);
                                Assert.That(image.GetSample(x, y, c), Is.EqualTo(expected), $"{width}x{height} alpha {alpha} reversed {reversed} at ({x}, {y}) channel {c}");
                            }
                        }
                    }
                }
            }
        }
    }

    [Test]
    public void Quantizing_rounds_to_the_nearest_level_and_clamps()
    {
        Assert.That(PixelImageWriter.Quantize(-3f, 255), Is.EqualTo(0));
        Assert.That(PixelImageWriter.Quantize(0.5f / 255 - 1e-6f, 255), Is.EqualTo(0));
        Assert.That(PixelImageWriter.Quantize(0.5f / 255 + 1e-6f, 255), Is.EqualTo(1));
        Assert.That(PixelImageWriter.Quantize(1f, 255), Is.EqualTo(255));
        Assert.That(PixelImageWriter.Quantize(7f, 65535), Is.EqualTo(65535));
        Assert.That(PixelImageWriter.Quantize(0.99999994f, 65535), Is.EqualTo(65535));
    }

    /// <summary>Values across and beyond [0, 1], with the exact boundaries and levels' midpoints among them.</summary>
    private static float[] Values(int count, int seed)
    {
        var random = new Random(seed);
        float[] special = [0f, 1f, -0f, -1e-7f, 1.0000001f, 0.5f / 255, 254.5f / 255, 0.5f / 65535, 0.99999994f, 2f, -5f];
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = i % 13 == 0 ? special[i / 13 % special.Length] : (float)(random.NextDouble() * 1.2 - 0.1);
        return values;
    }
}
