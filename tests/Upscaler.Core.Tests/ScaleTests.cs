using Upscaler.Core.Pipeline;

namespace Upscaler.Core.Tests;

[TestFixture]
public class ScaleTests
{
    private static readonly IUpscaler Engine = Engines.Create(Engines.TestModels);

    [TestCase(1.0, 40, 30)]
    [TestCase(1.5, 60, 45)]
    [TestCase(2.0, 80, 60)]
    [TestCase(2.5, 100, 75)]
    [TestCase(3.0, 120, 90)]
    [TestCase(4.0, 160, 120)]
    [TestCase(6.0, 240, 180)]
    [TestCase(8.0, 320, 240)]
    [TestCase(7.3, 292, 219)]
    public async Task Every_factor_gives_the_exact_rounded_size(double scale, int width, int height)
    {
        var output = await Engine.UpscaleAsync(TestImages.Pattern(40, 30), new UpscaleOptions { Scale = scale });
        Assert.That((output.Width, output.Height), Is.EqualTo((width, height)));
    }

    [TestCase(1.0, new[] { 2 })]
    [TestCase(1.5, new[] { 2 })]
    [TestCase(2.0, new[] { 2 })]
    [TestCase(3.0, new[] { 4 })]
    [TestCase(4.0, new[] { 4 })]
    [TestCase(6.0, new[] { 4, 2 })]
    [TestCase(8.0, new[] { 4, 2 })]
    public void Chooses_the_fewest_model_passes_that_reach_the_factor(double factor, int[] expected) =>
        Assert.That(ScalePlan.Choose([2, 4], factor), Is.EqualTo(expected));

    [TestCase(new[] { 4 }, 6.0, new[] { 4, 4 })]
    [TestCase(new[] { 2 }, 8.0, new[] { 2, 2, 2 })]
    [TestCase(new[] { 2 }, 3.0, new[] { 2, 2 })]
    [TestCase(new[] { 4 }, 1.5, new[] { 4 })]
    public void Works_with_whatever_scales_a_kind_has(int[] available, double factor, int[] expected) =>
        Assert.That(ScalePlan.Choose(available, factor), Is.EqualTo(expected));

    [Test]
    public async Task Non_integer_factors_resample_the_model_result_not_the_input()
    {
        // x3 is the x4 model result brought down by Lanczos: over the area of each input pixel
        // (a 3x3 block at x3, a 4x4 block at x4) the two must agree closely.
        var input = TestImages.Smooth(48, 36);
        var x3 = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 3 });
        var x4 = await Engine.UpscaleAsync(input, new UpscaleOptions { Scale = 4 });
        double mean = 0;
        for (int y = 1; y < input.Height - 1; y++)
            for (int x = 1; x < input.Width - 1; x++)
                mean += Math.Abs(BlockMean(x3, x, y, 3) - BlockMean(x4, x, y, 4));
        mean /= (input.Width - 2) * (input.Height - 2) * 255.0;
        Assert.That(mean, Is.LessThan(0.02));
    }

    private static double BlockMean(PixelImage image, int x, int y, int size)
    {
        double sum = 0;
        for (int dy = 0; dy < size; dy++)
            for (int dx = 0; dx < size; dx++)
                sum += image.GetSample(x * size + dx, y * size + dy, 1);
        return sum / (size * size);
    }
}
