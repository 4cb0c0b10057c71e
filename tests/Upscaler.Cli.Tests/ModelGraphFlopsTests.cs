using System.Text.Json;
using Google.Protobuf;
using Upscaler.Cli.Bench;
using static Google.Protobuf.WireFormat;

namespace Upscaler.Cli.Tests;

/// <summary>FLOPs per input pixel counted from real ONNX graphs: the shipped models, the test models, and hand-built graphs.</summary>
[TestFixture]
public class ModelGraphFlopsTests : ScratchFolderTests
{
    /// <summary>2 × multiply-adds of one k×k conv per position, as models/training/model.py counts them.</summary>
    private static double Conv(int cout, int cin, int k = 3) => 2.0 * cout * cin * k * k;

    [Test]
    public void Shipped_models_count_what_model_py_counts()
    {
        // CompactSR (models/training/model.py): conv 4→F, `blocks` convs F→F, conv F→3s², all 3×3 at LR,
        // so flops_per_lr_pixel = 2·9·(4F + blocks·F² + F·3s²); the shipped models are F = 48, blocks = 10.
        const int features = 48, blocks = 10;
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Cli.ShippedModels, "manifest.json")));
        var models = manifest.RootElement.GetProperty("models").EnumerateArray().ToList();
        Assert.That(models, Has.Count.GreaterThanOrEqualTo(6));
        foreach (var model in models)
        {
            int s = model.GetProperty("scale").GetInt32();
            double expected = 2 * 9 * (4 * features + blocks * features * features + features * 3 * s * s);
            var files = new List<string> { model.GetProperty("file").GetString()! };
            if (model.TryGetProperty("fp16", out var fp16))
                files.Add(fp16.GetProperty("file").GetString()!);
            foreach (string file in files)
                Assert.That(ModelGraphFlops.PerInputPixel(Path.Combine(Cli.ShippedModels, file)), Is.EqualTo(expected), file);
            Assert.That(model.GetProperty("flopsPerPixel").GetDouble(), Is.EqualTo(expected), "manifest of " + model.GetProperty("id"));
        }
    }

    [Test]
    public void Test_models_count_their_two_convs()
    {
        // make_test_models.py: 3×3 convs 4→8 and 8→3s² at LR, then depth-to-space, plus a nearest-upsampled residual.
        Assert.That(ModelGraphFlops.PerInputPixel(Path.Combine(Cli.TestModels, "test-x2.onnx")), Is.EqualTo(Conv(8, 4) + Conv(3 * 2 * 2, 8)));
        Assert.That(ModelGraphFlops.PerInputPixel(Path.Combine(Cli.TestModels, "test-x4.onnx")), Is.EqualTo(Conv(8, 4) + Conv(3 * 4 * 4, 8)));
    }

    [Test]
    public void Slow_test_model_counts_all_48_convs()
    {
        // make_test_models.py build_slow(2, 48, 48): conv 3→48, 46 convs 48→48 sharing one weight, conv 48→12.
        Assert.That(ModelGraphFlops.PerInputPixel(Path.Combine(Cli.SlowModels, "slow-x2.onnx")),
            Is.EqualTo(Conv(48, 3) + 46 * Conv(48, 48) + Conv(3 * 2 * 2, 48)));
    }

    [Test]
    public void Strided_conv_and_depth_to_space_change_where_later_convs_run()
    {
        string path = Write("strided.onnx", Model(
            [
                Node("Conv", ["image", "w1", "b1"], ["a"], Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1)), // at 1/4 of the input pixels
                Node("Relu", ["a"], ["r"]),
                Node("DepthToSpace", ["r"], ["d"], Int("blocksize", 4)), // 1/4 × 16 = 4 positions per input pixel
                Node("Conv", ["d", "w2"], ["upscaled"]),
            ],
            [Tensor("w1", [32, 3, 3, 3]), Tensor("b1", [32]), Tensor("w2", [5, 2, 3, 3])]));

        Assert.That(ModelGraphFlops.PerInputPixel(path), Is.EqualTo(Conv(32, 3) / 4 + Conv(5, 2) * 4));
    }

    [Test]
    public void Conv_transpose_resize_groups_and_space_to_depth()
    {
        string path = Write("mixed.onnx", Model(
            [
                Node("ConvTranspose", ["image", "wt"], ["up"], Ints("strides", 2, 2)), // weight [Cin, Cout/group, k, k], per input position
                Node("Constant", [], ["half"], TensorAttribute("value", Tensor("", [4], [1, 1, 0.5f, 0.5f]))),
                Node("Resize", ["up", "", "half"], ["back"]), // 4 × 0.25 = 1
                Node("Conv", ["back", "wg"], ["g"], Int("group", 2)), // weight [8, 8/2, 3, 3]
                Node("SpaceToDepth", ["g"], ["packed"], Int("blocksize", 2)), // 1/4
                Node("Add", ["packed", "bias"], ["shifted"]), // a constant input has no factor: keeps 1/4
                Node("Conv", ["shifted", "w1x1"], ["upscaled"]),
                Node("Conv", ["bias", "w1x1"], ["unused"]), // does not depend on the image: not per pixel
            ],
            [Tensor("wt", [3, 8, 2, 2]), Tensor("wg", [8, 4, 3, 3]), Tensor("w1x1", [4, 32, 1, 1]), Tensor("bias", [1, 32, 1, 1])]));

        double expected = 2.0 * 3 * 8 * 2 * 2 + Conv(8, 4) + Conv(4, 32, k: 1) / 4;
        Assert.That(ModelGraphFlops.PerInputPixel(path), Is.EqualTo(expected));
    }

    [Test]
    public void Conv_weight_that_is_not_an_initializer_is_rejected()
    {
        string path = Write("input-weight.onnx", Model([Node("Conv", ["image", "w"], ["upscaled"])], [], "image", "w"));
        var error = Assert.Throws<InvalidDataException>(() => ModelGraphFlops.PerInputPixel(path))!;
        Assert.That(error.Message, Does.Contain(path).And.Contain("not an initializer"));
    }

    [Test]
    public void Graph_without_an_image_input_is_rejected()
    {
        string path = Write("no-image.onnx", Model([Node("Conv", ["x", "w"], ["y"])], [Tensor("w", [1, 1, 1, 1])], "x"));
        Assert.That(() => ModelGraphFlops.PerInputPixel(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contain(path));
    }

    [Test]
    public void Missing_empty_text_and_garbage_files_are_rejected()
    {
        var files = new List<string> { Dir.File("missing.onnx"), Write("empty.onnx", []), Write("text.onnx", "just words, not a model"u8.ToArray()) };
        for (int seed = 0; seed < 50; seed++)
        {
            var garbage = new byte[1 + seed * 37];
            new Random(seed).NextBytes(garbage);
            files.Add(Write($"garbage{seed}.onnx", garbage));
        }
        foreach (string file in files)
            Assert.That(() => ModelGraphFlops.PerInputPixel(file), Throws.InstanceOf<InvalidDataException>().With.Message.Contain(file), file);
    }

    private string Write(string name, byte[] bytes)
    {
        File.WriteAllBytes(Dir.File(name), bytes);
        return Dir.File(name);
    }

    // --- a minimal ONNX writer; field numbers from onnx.proto --------------------------------------

    /// <summary>ModelProto: ir_version 1, producer_name 2 (both only to be skipped), graph 7 (node 1, initializer 5, input 11).</summary>
    private static byte[] Model(byte[][] nodes, byte[][] initializers, params string[] inputs)
    {
        if (inputs.Length == 0)
            inputs = ["image"];
        var graph = Message(o =>
        {
            foreach (var node in nodes)
                Bytes(o, 1, node);
            String(o, 2, "test");
            foreach (var tensor in initializers)
                Bytes(o, 5, tensor);
            foreach (string input in inputs)
                Bytes(o, 11, Message(v => String(v, 1, input)));
        });
        return Message(o =>
        {
            o.WriteTag(1, WireType.Varint);
            o.WriteInt64(8);
            String(o, 2, "ModelGraphFlopsTests");
            Bytes(o, 7, graph);
        });
    }

    /// <summary>NodeProto: input 1, output 2, name 3 (skipped), op_type 4, attribute 5.</summary>
    private static byte[] Node(string opType, string[] inputs, string[] outputs, params byte[][] attributes) => Message(o =>
    {
        foreach (string input in inputs)
            String(o, 1, input);
        foreach (string output in outputs)
            String(o, 2, output);
        String(o, 3, opType + "_node");
        String(o, 4, opType);
        foreach (var attribute in attributes)
            Bytes(o, 5, attribute);
    });

    /// <summary>AttributeProto: name 1, i 3, type 20 (skipped).</summary>
    private static byte[] Int(string name, long value) => Message(o =>
    {
        String(o, 1, name);
        o.WriteTag(3, WireType.Varint);
        o.WriteInt64(value);
        o.WriteTag(20, WireType.Varint);
        o.WriteInt32(2);
    });

    /// <summary>AttributeProto: name 1, ints 8, written packed (the real files have them unpacked).</summary>
    private static byte[] Ints(string name, params long[] values) => Message(o =>
    {
        String(o, 1, name);
        Bytes(o, 8, Message(p => { foreach (long v in values) p.WriteInt64(v); }));
    });

    /// <summary>AttributeProto: name 1, t 5.</summary>
    private static byte[] TensorAttribute(string name, byte[] tensor) => Message(o =>
    {
        String(o, 1, name);
        Bytes(o, 5, tensor);
    });

    /// <summary>TensorProto: dims 1 (packed), data_type 2 (1 = FLOAT), float_data 4 (packed), name 8.</summary>
    private static byte[] Tensor(string name, long[] dims, float[]? data = null) => Message(o =>
    {
        Bytes(o, 1, Message(p => { foreach (long d in dims) p.WriteInt64(d); }));
        o.WriteTag(2, WireType.Varint);
        o.WriteInt32(1);
        if (data is not null)
            Bytes(o, 4, Message(p => { foreach (float f in data) p.WriteFloat(f); }));
        String(o, 8, name);
    });

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void Bytes(CodedOutputStream output, int field, byte[] value)
    {
        output.WriteTag(field, WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(value));
    }

    private static void String(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireType.LengthDelimited);
        output.WriteString(value);
    }
}
