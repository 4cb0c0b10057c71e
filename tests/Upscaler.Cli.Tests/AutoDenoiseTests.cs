using Microsoft.Extensions.DependencyInjection;
using NetVips;
using Upscaler.Cli.Images;
using Upscaler.Core;

namespace Upscaler.Cli.Tests;

/// <summary>
/// Automatic denoise on a real photo (samples/coffee.png), with seeded Gaussian noise added and as real
/// JPEG files from libvips, read the way the command line reads them.
/// </summary>
[TestFixture]
public class AutoDenoiseTests : ScratchFolderTests
{
    private static readonly IUpscaler Engine = new ServiceCollection()
        .AddUpscaler(s =>
        {
            s.ModelsDirectory = Cli.TestModels;
            s.UserModelsDirectory = null;
        })
        .BuildServiceProvider()
        .GetRequiredService<IUpscaler>();

    private static PixelImage Coffee => VipsImageReader.Read(Samples.Coffee).Pixels;

    [Test]
    public void The_estimated_noise_tracks_the_noise_added_to_a_photo()
    {
        double[] added = [0, 2, 4, 6, 8, 10, 12, 15];
        var estimated = added.Select(sigma => Engine.SuggestDenoise(WithNoise(Coffee, sigma, seed: 42)).NoiseSigma).ToArray();

        string all = string.Join(", ", estimated.Select(e => e.ToString("0.00")));
        Assert.That(estimated.Zip(estimated.Skip(1)).All(p => p.Second > p.First), Is.True, $"rises with the noise: {all}");
        Assert.That(estimated[0], Is.LessThan(1.5), $"the clean photo reads almost no noise: {all}");
        for (int i = 1; i < added.Length; i++)
            Assert.That(estimated[i], Is.EqualTo(added[i]).Within(0.15 * added[i] + 1), $"noise {added[i]}: {all}");
    }

    [Test]
    public void The_clean_photo_and_a_high_quality_jpeg_get_no_denoise()
    {
        Assert.That(Engine.SuggestDenoise(Coffee).Strength, Is.Zero);
        var (pixels, quality) = SavedAsJpeg(95);
        Assert.That(Engine.SuggestDenoise(pixels, quality).Strength, Is.Zero);
        Assert.That(Engine.SuggestDenoise(pixels).Strength, Is.Zero, "from pixels alone");
    }

    [TestCase(15.0, 0.35, 0.75)]
    [TestCase(25.0, 0.9, 1.0)]
    public void Heavy_noise_gets_a_high_strength(double sigma, double least, double most)
    {
        // On the validation split noise of 15/255 alone is best served by strength 0.5, heavier by 1.
        var suggestion = Engine.SuggestDenoise(WithNoise(Coffee, sigma, seed: 9));

        Assert.That(suggestion.Strength, Is.InRange(least, most), suggestion.ToString());
    }

    [Test]
    public void Heavy_compression_gets_a_high_strength_with_or_without_the_file()
    {
        var (pixels, quality) = SavedAsJpeg(30);

        Assert.That(quality, Is.EqualTo(30).Within(2));
        Assert.That(Engine.SuggestDenoise(pixels, quality).Strength, Is.GreaterThanOrEqualTo(0.8));
        Assert.That(Engine.SuggestDenoise(pixels).Strength, Is.GreaterThanOrEqualTo(0.6), "from pixels alone");
    }

    [Test]
    public void Lower_jpeg_quality_means_more_blockiness_and_no_less_denoise()
    {
        int[] qualities = [95, 85, 70, 55, 40, 30];
        var suggestions = qualities.Select(q => SavedAsJpeg(q)).Select(j => Engine.SuggestDenoise(j.Pixels, j.Quality)).ToArray();

        string all = string.Join("; ", suggestions.Select(s => s.ToString()));
        var blockiness = suggestions.Select(s => s.Blockiness).ToArray();
        Assert.That(blockiness.Zip(blockiness.Skip(1)).All(p => p.Second > p.First), Is.True, all);
        Assert.That(suggestions.Select(s => s.Strength), Is.Ordered.Ascending, all);
        Assert.That(blockiness[0], Is.LessThan(0.1), all);
        Assert.That(blockiness[^1], Is.GreaterThan(0.6), all);
    }

    private (PixelImage Pixels, int? Quality) SavedAsJpeg(int quality)
    {
        string path = Dir.File($"coffee-q{quality}.jpg");
        using (var coffee = Image.NewFromFile(Samples.Coffee))
            coffee.Jpegsave(path, q: quality);
        return (VipsImageReader.Read(path).Pixels, JpegQualityReader.Read(path));
    }

    /// <summary>Seeded Gaussian noise, independent in every channel, rounded and clipped to 8 bits.</summary>
    private static PixelImage WithNoise(PixelImage image, double sigma, int seed)
    {
        var random = new Random(seed);
        var data = image.Data.Select(v =>
        {
            double gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            return (byte)Math.Clamp(Math.Round(v + sigma * gaussian), 0, 255);
        }).ToArray();
        return new PixelImage(image.Width, image.Height, image.Layout, image.BitDepth, data);
    }
}
