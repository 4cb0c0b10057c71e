using static Upscaler.ModelImport.Tests.SyntheticModels;

namespace Upscaler.ModelImport.Tests;

/// <summary>
/// Two weight sets of one SRVGGNetCompact become one model with a denoise input that blends the
/// weights in the graph: d = 0 is the weak-denoise file (the one named *wdn*), d = 1 the other.
/// </summary>
public class DenoiseTwinTests
{
    private const string Strong = "tiny-general-x4v3.pth";
    private const string Weak = "tiny-general-wdn-x4v3.pth";

    [Test]
    public void The_ends_reproduce_each_weight_file_and_the_middle_is_the_weight_blend()
    {
        var crop = Get().Crops["main"];
        var twin = ModelConverter.Convert([PathOf(Strong), PathOf(Weak)]);
        Assert.That(twin.DenoiseInputName, Is.EqualTo("denoise"));
        Assert.That(twin.Architecture, Does.Contain("denoise twin"));

        float[] Single(string file) => OnnxRunner.Run(ModelConverter.Convert([PathOf(file)]), crop.Data, crop.Height, crop.Width).Data;
        float[] Twin(float d) => OnnxRunner.Run(twin, crop.Data, crop.Height, crop.Width, d).Data;

        Assert.That(OnnxRunner.MaxAbsDifference(Twin(0), Single(Weak)), Is.LessThanOrEqualTo(1e-5f), "d = 0 is the weak-denoise (wdn) file");
        Assert.That(OnnxRunner.MaxAbsDifference(Twin(1), Single(Strong)), Is.LessThanOrEqualTo(1e-5f), "d = 1 is the strong-denoise file");
        var reference = Get().Cases.Single(c => c.Name == "srvgg_denoise_twin" && c.Denoise == 0.5f);
        Assert.That(OnnxRunner.MaxAbsDifference(Twin(0.5f), ReadFloats(PathOf(reference.References["main"]))), Is.LessThanOrEqualTo(1e-3f),
            "d = 0.5 is the network with the two weight sets averaged");
    }

    [Test]
    public void The_file_order_does_not_matter_when_one_name_says_wdn()
    {
        var crop = Get().Crops["small"];
        var a = ModelConverter.Convert([PathOf(Strong), PathOf(Weak)]);
        var b = ModelConverter.Convert([PathOf(Weak), PathOf(Strong)]);
        Assert.That(OnnxRunner.MaxAbsDifference(
            OnnxRunner.Run(a, crop.Data, crop.Height, crop.Width, 0.25f).Data,
            OnnxRunner.Run(b, crop.Data, crop.Height, crop.Width, 0.25f).Data), Is.EqualTo(0f));
    }

    [Test]
    public void Two_different_networks_are_not_a_twin()
    {
        var e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([PathOf("srvgg_prelu_x4.pth"), PathOf("srvgg_lrelu_x2.safetensors")]));
        Assert.That(e!.Message, Does.Contain("not the same network"));
        e = Assert.Throws<ModelImportException>(() => ModelConverter.Convert([PathOf("rrdb_x4.pth"), PathOf(Weak)]));
        Assert.That(e!.Message, Does.Contain("SRVGGNetCompact"));
    }
}
