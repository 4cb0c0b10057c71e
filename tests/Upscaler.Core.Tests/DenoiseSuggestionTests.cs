namespace Upscaler.Core.Tests;

/// <summary>
/// The engine's automatic denoise on pictures with known noise and block artefacts. Real photos and real
/// JPEG files are tested in the command line's tests (which can decode them); these are the cases one can
/// state exactly in pixels.
/// </summary>
[TestFixture]
public class DenoiseSuggestionTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);

    [TestCase(3.0)]
    [TestCase(8.0)]
    [TestCase(15.0)]
    public void Reads_the_noise_of_a_flat_picture_in_8_bit_levels(double sigma)
    {
        var noisy = WithNoise(Flat(512, 384, 120), sigma, seed: 7);

        var suggestion = Engine.SuggestDenoise(noisy);

        Assert.That(suggestion.NoiseSigma, Is.EqualTo(sigma).Within(10).Percent);
        Assert.That(suggestion.Blockiness, Is.LessThan(0.05), "noise has no block grid");
    }

    [Test]
    public void Sixteen_bit_pictures_read_in_the_same_8_bit_levels()
    {
        var eight = WithNoise(Flat(256, 256, 100), 6, seed: 3);
        var sixteen = PixelImage.Create(256, 256, PixelLayout.Rgb, 16);
        for (int i = 0; i < eight.Data.Length; i++)
            BitConverter.TryWriteBytes(sixteen.Data.AsSpan(i * 2, 2), (ushort)(eight.Data[i] * 257));

        Assert.That(Engine.SuggestDenoise(sixteen).NoiseSigma, Is.EqualTo(Engine.SuggestDenoise(eight).NoiseSigma).Within(1e-3));
    }

    [Test]
    public void Gray_pictures_are_measured_on_their_one_channel()
    {
        var gray = PixelImage.Create(320, 240, PixelLayout.Gray, 8);
        var random = new Random(11);
        for (int i = 0; i < gray.Data.Length; i++)
            gray.Data[i] = (byte)Math.Clamp(Math.Round(128 + 8 * Gaussian(random)), 0, 255);

        Assert.That(Engine.SuggestDenoise(gray).NoiseSigma, Is.EqualTo(8).Within(15).Percent);
    }

    [Test]
    public void A_clean_smooth_picture_gets_strength_zero()
    {
        var suggestion = Engine.SuggestDenoise(TestImages.Smooth(300, 200));

        Assert.That(suggestion.NoiseSigma, Is.LessThan(0.5));
        Assert.That(suggestion.Strength, Is.Zero);
    }

    [TestCase(15.0, 0.35, 0.75)]
    [TestCase(25.0, 0.9, 1.0)]
    public void Strong_noise_gets_a_high_strength(double sigma, double least, double most)
    {
        // Noise alone at 15/255 is best served by strength 0.5 on the validation split (models/README.md);
        // stronger noise by the full strength.
        var suggestion = Engine.SuggestDenoise(WithNoise(TestImages.Smooth(300, 200), sigma, seed: 5));

        Assert.That(suggestion.Strength, Is.InRange(least, most), suggestion.ToString());
    }

    [Test]
    public void Estimated_noise_rises_with_the_noise_added()
    {
        double[] added = [0, 2, 4, 8, 12, 16];
        var estimates = added.Select(s => Engine.SuggestDenoise(WithNoise(TestImages.Smooth(256, 256), s, seed: 1)).NoiseSigma).ToArray();

        Assert.That(estimates, Is.Ordered.Ascending);
        Assert.That(estimates.Zip(estimates.Skip(1)).All(p => p.Second > p.First), Is.True, string.Join(", ", estimates));
    }

    [Test]
    public void The_quality_hint_is_reported_and_lower_quality_means_more_denoise()
    {
        var picture = TestImages.Smooth(128, 128);

        var high = Engine.SuggestDenoise(picture, jpegQuality: 98);
        var low = Engine.SuggestDenoise(picture, jpegQuality: 30);

        Assert.That((high.JpegQuality, low.JpegQuality), Is.EqualTo(((int?)98, (int?)30)));
        Assert.That(high.Strength, Is.Zero);
        Assert.That(low.Strength, Is.GreaterThanOrEqualTo(0.8));
    }

    [TestCase(0)]
    [TestCase(101)]
    [TestCase(-5)]
    public void A_quality_outside_1_to_100_is_refused(int quality) =>
        Assert.Throws<InvalidOptionsException>(() => Engine.SuggestDenoise(TestImages.Smooth(64, 64), quality));

    [TestCase(0)]
    [TestCase(3)]
    public void Block_artefacts_are_found_wherever_the_grid_starts(int shift)
    {
        // Each 8x8 block of a smooth picture flattened to its mean, as a very low JPEG quality does,
        // then cropped by `shift` pixels, as an edited screenshot of a JPEG would be.
        var smooth = TestImages.Smooth(256 + shift, 256 + shift);
        var blocky = Crop(FlattenBlocks(smooth), shift, shift, 256, 256);

        double blockiness = Engine.SuggestDenoise(blocky).Blockiness;
        double none = Engine.SuggestDenoise(Crop(smooth, shift, shift, 256, 256)).Blockiness;

        Assert.That(blockiness, Is.GreaterThan(1), "steps only on the grid");
        Assert.That(none, Is.LessThan(0.05));
        Assert.That(Engine.SuggestDenoise(blocky).Strength, Is.GreaterThanOrEqualTo(0.8));
    }

    [Test]
    public void Transparent_areas_are_not_measured()
    {
        // Left half opaque, clean; right half transparent and full of noise (arbitrary colour under alpha 0).
        var image = PixelImage.Create(256, 128, PixelLayout.Rgba, 8);
        var random = new Random(2);
        for (int y = 0; y < 128; y++)
        {
            for (int x = 0; x < 256; x++)
            {
                int i = (y * 256 + x) * 4;
                bool transparent = x >= 128;
                for (int c = 0; c < 3; c++)
                    image.Data[i + c] = (byte)(transparent ? random.Next(256) : 90 + c * 20);
                image.Data[i + 3] = (byte)(transparent ? 0 : 255);
            }
        }

        Assert.That(Engine.SuggestDenoise(image).NoiseSigma, Is.LessThan(0.5));
    }

    [TestCase(1, 1)]
    [TestCase(7, 30)]
    [TestCase(16, 9)]
    public void Tiny_pictures_get_an_answer(int width, int height)
    {
        var suggestion = Engine.SuggestDenoise(TestImages.Pattern(width, height));

        Assert.That(suggestion.Strength, Is.InRange(0.0, 1.0));
        Assert.That(double.IsFinite(suggestion.NoiseSigma) && double.IsFinite(suggestion.Blockiness));
    }

    private static PixelImage Flat(int width, int height, byte value)
    {
        var image = PixelImage.Create(width, height, PixelLayout.Rgb, 8);
        Array.Fill(image.Data, value);
        return image;
    }

    /// <summary>Seeded Gaussian noise, independent in every channel, rounded and clipped to 8 bits.</summary>
    private static PixelImage WithNoise(PixelImage image, double sigma, int seed)
    {
        var random = new Random(seed);
        var data = image.Data.Select(v => (byte)Math.Clamp(Math.Round(v + sigma * Gaussian(random)), 0, 255)).ToArray();
        return new PixelImage(image.Width, image.Height, image.Layout, image.BitDepth, data);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static PixelImage FlattenBlocks(PixelImage image)
    {
        var output = new PixelImage(image.Width, image.Height, image.Layout, image.BitDepth, (byte[])image.Data.Clone());
        for (int by = 0; by + 8 <= image.Height; by += 8)
        {
            for (int bx = 0; bx + 8 <= image.Width; bx += 8)
            {
                for (int c = 0; c < image.Channels; c++)
                {
                    double sum = 0;
                    for (int y = by; y < by + 8; y++)
                        for (int x = bx; x < bx + 8; x++)
                            sum += image.GetSample(x, y, c);
                    for (int y = by; y < by + 8; y++)
                        for (int x = bx; x < bx + 8; x++)
                            output.Data[(y * image.Width + x) * image.Channels + c] = (byte)Math.Round(sum / 64);
                }
            }
        }
        return output;
    }

    private static PixelImage Crop(PixelImage image, int left, int top, int width, int height)
    {
        var output = PixelImage.Create(width, height, image.Layout, image.BitDepth);
        int row = width * image.Channels;
        for (int y = 0; y < height; y++)
            Array.Copy(image.Data, ((top + y) * image.Width + left) * image.Channels, output.Data, y * row, row);
        return output;
    }
}
