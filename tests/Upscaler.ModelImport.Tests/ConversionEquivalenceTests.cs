using System.Collections.Concurrent;
using System.Text.Json;
using static Upscaler.ModelImport.Tests.SyntheticModels;

namespace Upscaler.ModelImport.Tests;

/// <summary>
/// Every format and architecture: the converted ONNX, run in ONNX Runtime, reproduces the reference
/// implementation of the same network on crops of a real photo (max abs difference at most 1e-3),
/// and reports the architecture's scale, size and cost.
/// </summary>
public class ConversionEquivalenceTests
{
    private const float Tolerance = 1e-3f;

    private static readonly ConcurrentDictionary<string, ConvertedModel> Models = new();

    internal static ConvertedModel ConvertCase(Case c) =>
        Models.GetOrAdd(string.Join("|", c.Files), _ => ModelConverter.Convert(c.Files.Select(PathOf).ToList()));

    [TestCaseSource(typeof(SyntheticModels), nameof(SyntheticModels.Cases))]
    public void Converted_model_matches_the_reference_on_photo_crops(Case c)
    {
        var model = ConvertCase(c);
        foreach (var (cropName, referenceFile) in c.References)
        {
            var crop = Get().Crops[cropName];
            var (data, shape) = OnnxRunner.Run(model, crop.Data, crop.Height, crop.Width, c.Denoise);
            Assert.That(shape, Is.EqualTo(new[] { 1, 3, crop.Height * c.Scale, crop.Width * c.Scale }), $"output shape for the {cropName} crop");
            float difference = OnnxRunner.MaxAbsDifference(data, ReadFloats(PathOf(referenceFile)));
            Assert.That(difference, Is.LessThanOrEqualTo(Tolerance), $"max abs difference on the {cropName} crop ({crop.Height}x{crop.Width})");
        }
    }

    [TestCaseSource(typeof(SyntheticModels), nameof(SyntheticModels.Cases))]
    public void Reports_architecture_scale_size_and_cost(Case c)
    {
        var model = ConvertCase(c);
        var expect = c.Expect;
        Assert.Multiple(() =>
        {
            Assert.That(model.Converted, Is.True);
            Assert.That(model.Scale, Is.EqualTo(c.Scale));
            Assert.That(model.Architecture, Does.Contain(expect.GetProperty("architecture").GetString()));
            Assert.That(model.Parameters, Is.EqualTo(expect.GetProperty("params").GetInt64()));
            Assert.That(model.HasDenoiseInput, Is.EqualTo(c.Denoise is not null));
            Assert.That(model.Range, Is.EqualTo(PixelRange.ZeroToOne));
            Assert.That(model.Order, Is.EqualTo(ChannelOrder.Rgb));
            Assert.That(model.Features, Is.GreaterThanOrEqualTo(8));
            Assert.That(model.FlopsPerPixel, Is.GreaterThan(0));
            if (expect.TryGetProperty("flops", out var flops))
                Assert.That(model.FlopsPerPixel, Is.EqualTo(flops.GetDouble()).Within(1e-6).Percent);
            if (expect.TryGetProperty("receptiveField", out var rf))
                Assert.That(model.ReceptiveField, Is.EqualTo(rf.GetInt32()));
            if (expect.TryGetProperty("alignment", out var alignment))
                Assert.That(model.Alignment, Is.EqualTo(alignment.GetInt32()));
            bool unbounded = expect.TryGetProperty("unbounded", out var u) && u.GetBoolean();
            Assert.That(model.ReceptiveFieldUnbounded, Is.EqualTo(unbounded));
            Assert.That(model.ReceptiveField, unbounded ? Is.Null : Is.GreaterThan(0));
            Assert.That(model.LocalReceptiveField, unbounded ? Is.GreaterThan(0) : Is.EqualTo(model.ReceptiveField));
        });
    }

    [TestCase("ncnn_cugan_like_x2")]
    [TestCase("ncnn_cugan_like_x4")]
    [TestCase("ncnn_waifu2x_like")]
    [TestCase("rrdb_x1_safetensors")]
    [TestCase("rrdb_x2plus_safetensors_fp16")]
    public void Models_that_need_padding_accept_every_size_from_16(string name)
    {
        var c = Get().Cases.First(x => x.Name == name);
        var model = ConvertCase(c);
        var random = new Random(5);
        foreach (var (h, w) in new[] { (16, 16), (17, 23), (31, 16), (16, 29) })
        {
            var image = Enumerable.Range(0, 3 * h * w).Select(_ => (float)random.NextDouble()).ToArray();
            var (data, shape) = OnnxRunner.Run(model, image, h, w);
            Assert.That(shape, Is.EqualTo(new[] { 1, 3, h * c.Scale, w * c.Scale }), $"{h}x{w}");
            Assert.That(data.All(float.IsFinite), Is.True);
        }
    }

    [Test]
    public void Format_is_recognised_by_content_not_by_extension()
    {
        string dir = Path.Combine(Get().Directory, "renamed");
        Directory.CreateDirectory(dir);
        string safetensorsAsPth = Path.Combine(dir, "weights.pth");
        File.Copy(PathOf("srvgg_prelu_x4.safetensors"), safetensorsAsPth, overwrite: true);
        string paramAsTxt = Path.Combine(dir, "net.txt");
        File.Copy(PathOf("ncnn_esrgan_like.param"), paramAsTxt, overwrite: true);

        Assert.That(ModelConverter.Convert([safetensorsAsPth]).SourceFormat, Is.EqualTo(ModelFormat.Safetensors));
        Assert.That(ModelConverter.Convert([PathOf("ncnn_esrgan_like.bin"), paramAsTxt]).SourceFormat, Is.EqualTo(ModelFormat.Ncnn));
        Assert.That(ModelConverter.DetectFormat(PathOf("rrdb_x4.pth")), Is.EqualTo(ModelFormat.PyTorch));
        Assert.That(ModelConverter.DetectFormat(PathOf("esrgan_old_x4.pth")), Is.EqualTo(ModelFormat.PyTorch));
    }

    [Test]
    public void An_ncnn_bin_alone_finds_its_param_beside_it()
    {
        var model = ModelConverter.Convert([PathOf("ncnn_generic.bin")]);
        Assert.That(model.Scale, Is.EqualTo(2));
    }

    [Test]
    public void A_converted_model_passes_validation_as_an_onnx_file()
    {
        var converted = ConvertCase(Get().Cases.First(x => x.Name == "srvgg_prelu_x4_pth"));
        string file = Path.Combine(Get().Directory, "converted.onnx");
        File.WriteAllBytes(file, converted.Onnx);
        var validated = ModelConverter.Convert([file]);
        Assert.Multiple(() =>
        {
            Assert.That(validated.Converted, Is.False);
            Assert.That(validated.SourceFormat, Is.EqualTo(ModelFormat.Onnx));
            Assert.That(validated.InputName, Is.EqualTo("image"));
            Assert.That(validated.OutputName, Is.EqualTo("upscaled"));
            Assert.That(validated.DenoiseInputName, Is.Null);
            Assert.That(validated.Parameters, Is.EqualTo(converted.Parameters));
            Assert.That(validated.Onnx, Is.EqualTo(File.ReadAllBytes(file)));
        });
    }

    [Test]
    public void The_projects_own_onnx_test_model_passes_validation_with_its_denoise_input()
    {
        string file = Path.Combine(RepositoryRoot(), "tests", "TestModels", "test-x2.onnx");
        var model = ModelConverter.Convert([file]);
        Assert.Multiple(() =>
        {
            Assert.That(model.Converted, Is.False);
            Assert.That(model.InputName, Is.EqualTo("image"));
            Assert.That(model.DenoiseInputName, Is.EqualTo("denoise"));
            Assert.That(model.Scale, Is.Null, "ONNX files given directly are probed, not analysed");
        });
    }
}
