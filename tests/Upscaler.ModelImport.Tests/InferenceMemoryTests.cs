using Upscaler.ModelImport.Analysis;
using Upscaler.ModelImport.Onnx;
using static Upscaler.ModelImport.Tests.SyntheticModels;

namespace Upscaler.ModelImport.Tests;

/// <summary>The memory per input pixel a model is registered with (<see cref="InferenceMemory"/>), which sizes its tiles.</summary>
public class InferenceMemoryTests
{
    /// <summary>
    /// x (3 channels) -> conv a (8) -> relu b (8) -> conv c (3) -> y = c + x; the second convolution's weight
    /// either an initializer or computed in the graph (as int8 copies dequantize their weights and denoise
    /// twins blend theirs), 8 x 3 x 3 x 3 floats the same for every tile.
    /// </summary>
    private static byte[] Chain(bool weightComputedInGraph)
    {
        var g = new OnnxGraphBuilder("chain");
        string x = g.AddImageInput("x");
        var pads = OnnxGraphBuilder.Attr("pads", 1, 1, 1, 1);
        // Computed first, so that it is alive at the relu's peak (3.4 bytes per pixel of a 16x16 run, if counted).
        string w2 = g.Weight("w2", new float[3 * 8 * 9], 3, 8, 3, 3);
        if (weightComputedInGraph)
            w2 = g.Node("Mul", [w2, g.FloatConstant("one", 1f)]);
        string a = g.Node("Conv", [x, g.Weight("w1", new float[8 * 3 * 9], 8, 3, 3, 3)], pads);
        string b = g.Node("Relu", [a]);
        string c = g.Node("Conv", [b, w2], pads);
        string y = g.Node("Add", [c, x]);
        g.AddImageOutput(y, y);
        return g.Build("test");
    }

    [Test]
    public void The_peak_is_the_largest_sum_of_tensors_alive_at_once_in_graph_order() =>
        // At the relu, x (read by the add), a (read by the relu) and b are alive: 3 + 8 + 8 channels of 4 bytes.
        Assert.That(InferenceMemory.PerInputPixel(Chain(weightComputedInGraph: false)), Is.EqualTo(76 * InferenceMemory.RuntimeFactor).Within(1e-9));

    [Test]
    public void Tensors_not_computed_from_the_image_belong_to_the_model_and_are_not_counted_per_pixel() =>
        Assert.That(InferenceMemory.PerInputPixel(Chain(weightComputedInGraph: true)), Is.EqualTo(76 * InferenceMemory.RuntimeFactor).Within(1e-9));

    [Test]
    public void An_int8_copy_needs_no_more_per_pixel_than_its_float32_model()
    {
        // Its weights are dequantized in the graph; counted per pixel of a 16x16 run they made it look 25 % larger.
        string general = Path.Combine(RepositoryRoot(), "models", "general");
        double float32 = InferenceMemory.PerInputPixel(File.ReadAllBytes(Path.Combine(general, "general-x4.onnx")))!.Value;
        double int8 = InferenceMemory.PerInputPixel(File.ReadAllBytes(Path.Combine(general, "general-x4.int8.onnx")))!.Value;
        Assert.That(int8, Is.LessThanOrEqualTo(float32));
    }

    [Test]
    public void A_model_with_subgraphs_is_left_to_the_estimate()
    {
        var g = new OnnxGraphBuilder("loop");
        string x = g.AddImageInput("x");
        string y = g.Node("Identity", [x], new global::Onnx.AttributeProto { Name = "body", Type = global::Onnx.AttributeProto.Types.AttributeType.Graph, G = new global::Onnx.GraphProto() });
        g.AddImageOutput(y, y);
        Assert.That(InferenceMemory.PerInputPixel(g.Build("test")), Is.Null);
    }

    [Test]
    public void An_rrdbnet_counts_its_convolutions_at_the_output_resolution()
    {
        // The synthetic x4 RRDBNet has 8 features: its last convolutions read and write 8 channels at 16x
        // the input's pixels, two such maps at once, which a count of channels (the widest, 8 + 4 x 4 = 24 at
        // the input's size) misses.
        var model = ModelConverter.Convert([PathOf("rrdb_x4.pth")]);
        double twoFullResolutionMaps = 2 * 8 * 16 * sizeof(float) * InferenceMemory.RuntimeFactor;
        Assert.That(InferenceMemory.PerInputPixel(model.Onnx), Is.GreaterThanOrEqualTo(twoFullResolutionMaps));
        Assert.That(model.Features, Is.EqualTo(24));
    }

    [Test]
    public void A_model_split_into_a_statistics_pass_is_left_to_the_estimate()
    {
        var c = Get().Cases.First(x => x.Name == "ncnn_cugan_like_x2");
        var split = ModelConverter.Convert(c.Files.Select(PathOf).ToList(), new ConvertOptions { SplitGlobalPooling = true });
        Assert.That(InferenceMemory.PerInputPixel(split.Onnx), Is.Null);
    }
}
