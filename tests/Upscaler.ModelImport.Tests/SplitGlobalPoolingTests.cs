using static Upscaler.ModelImport.Tests.SyntheticModels;

namespace Upscaler.ModelImport.Tests;

/// <summary>
/// The split form of networks with global pooling: a statistics graph and a main graph that takes
/// the pooled values as inputs. Fed the statistics of the whole image, the main graph reproduces
/// the one-pass reference; it is local, so tiles sharing the image's statistics tile exactly.
/// </summary>
public class SplitGlobalPoolingTests
{
    private static readonly ConvertOptions Split = new() { SplitGlobalPooling = true };

    [TestCase("ncnn_cugan_like_x2")]
    [TestCase("ncnn_cugan_like_x4")]
    [TestCase("ncnn_waifu2x_like")]
    public void Main_graph_fed_the_images_statistics_matches_the_reference(string name)
    {
        var c = Get().Cases.First(x => x.Name == name);
        var model = ModelConverter.Convert(c.Files.Select(PathOf).ToList(), Split);
        Assert.That(model.Statistics, Is.Not.Null);
        Assert.That(model.ReceptiveFieldUnbounded, Is.False);
        Assert.That(model.ReceptiveField, Is.GreaterThan(0));
        Assert.That(model.Statistics!.Values.Select(v => v.Kind), Is.All.EqualTo(PoolingKind.Mean));

        foreach (var (cropName, referenceFile) in c.References)
        {
            var crop = Get().Crops[cropName];
            var image = (crop.Data, new[] { 1, 3, crop.Height, crop.Width });
            var statistics = OnnxRunner.RunGraph(model.Statistics.Onnx, new Dictionary<string, (float[], int[])> { [model.InputName] = image });
            Assert.That(statistics.Keys, Is.EquivalentTo(model.Statistics.Values.Select(v => v.Name)));

            var inputs = new Dictionary<string, (float[], int[])>(statistics) { [model.InputName] = image };
            var output = OnnxRunner.RunGraph(model.Onnx, inputs)[model.OutputName];
            Assert.That(output.Shape, Is.EqualTo(new[] { 1, 3, crop.Height * c.Scale, crop.Width * c.Scale }));
            Assert.That(OnnxRunner.MaxAbsDifference(output.Data, ReadFloats(PathOf(referenceFile))), Is.LessThanOrEqualTo(1e-3f), cropName);
        }
    }

    [Test]
    public void Networks_without_global_pooling_are_not_split()
    {
        var model = ModelConverter.Convert([PathOf("ncnn_esrgan_like.param")], Split);
        Assert.That(model.Statistics, Is.Null);
    }
}
