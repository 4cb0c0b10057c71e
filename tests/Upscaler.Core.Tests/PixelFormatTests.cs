namespace Upscaler.Core.Tests;

[TestFixture]
public class PixelFormatTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);

    [TestCase(PixelLayout.Gray, 8)]
    [TestCase(PixelLayout.GrayAlpha, 8)]
    [TestCase(PixelLayout.Rgb, 8)]
    [TestCase(PixelLayout.Rgba, 8)]
    [TestCase(PixelLayout.Gray, 16)]
    [TestCase(PixelLayout.GrayAlpha, 16)]
    [TestCase(PixelLayout.Rgb, 16)]
    [TestCase(PixelLayout.Rgba, 16)]
    public async Task Output_keeps_the_input_layout_and_bit_depth(PixelLayout layout, int bitDepth)
    {
        var output = await Engine.UpscaleAsync(TestImages.Pattern(20, 14, layout, bitDepth), new UpscaleOptions { Scale = 2 });
        Assert.That((output.Layout, output.BitDepth, output.Width, output.Height), Is.EqualTo((layout, bitDepth, 40, 28)));
    }

    [Test]
    public async Task Sixteen_bit_input_keeps_its_precision()
    {
        var input16 = TestImages.Pattern(32, 24, PixelLayout.Rgb, 16);
        var output16 = await Engine.UpscaleAsync(input16, new UpscaleOptions { Scale = 2, Denoise = 0 });

        // Values between 8-bit levels exist: the pipeline did not round through 8 bits.
        int between = 0;
        for (int i = 0; i < output16.Data.Length; i += 2)
            if (BitConverter.ToUInt16(output16.Data, i) % 257 != 0)
                between++;
        Assert.That(between, Is.GreaterThan(output16.Data.Length / 2 / 2));

        // And the 16-bit result agrees with the 8-bit one to within 8-bit rounding.
        var input8 = To8Bit(input16);
        var output8 = await Engine.UpscaleAsync(input8, new UpscaleOptions { Scale = 2, Denoise = 0 });
        Assert.That(TestImages.MaxDifference(To8Bit(output16), output8), Is.LessThanOrEqualTo(2.0 / 255));
    }

    [Test]
    public async Task Gray_images_stay_gray_and_follow_their_rgb_twin()
    {
        var gray = TestImages.Pattern(30, 20, PixelLayout.Gray);
        var rgb = PixelImage.Create(30, 20, PixelLayout.Rgb, 8);
        for (int i = 0; i < gray.Data.Length; i++)
            rgb.Data[3 * i] = rgb.Data[3 * i + 1] = rgb.Data[3 * i + 2] = gray.Data[i];

        var grayOut = await Engine.UpscaleAsync(gray, new UpscaleOptions { Scale = 2 });
        var rgbOut = await Engine.UpscaleAsync(rgb, new UpscaleOptions { Scale = 2 });

        double worst = 0;
        for (int y = 0; y < grayOut.Height; y++)
            for (int x = 0; x < grayOut.Width; x++)
            {
                double mean = (rgbOut.GetSample(x, y, 0) + rgbOut.GetSample(x, y, 1) + rgbOut.GetSample(x, y, 2)) / 3.0;
                worst = Math.Max(worst, Math.Abs(grayOut.GetSample(x, y, 0) - mean));
            }
        Assert.That(worst, Is.LessThanOrEqualTo(1.0));
    }

    private static PixelImage To8Bit(PixelImage image)
    {
        var result = PixelImage.Create(image.Width, image.Height, image.Layout, 8);
        for (int i = 0; i < result.Data.Length; i++)
            result.Data[i] = (byte)Math.Round(BitConverter.ToUInt16(image.Data, 2 * i) / 257.0);
        return result;
    }
}
