using Microsoft.ML.OnnxRuntime.Tensors;
using Upscaler.ModelImport.Onnx;
using Upscaler.ModelImport.Quantization;
using static Upscaler.ModelImport.Tests.SyntheticModels;
using OnnxProto = global::Onnx;

namespace Upscaler.ModelImport.Tests;

/// <summary>
/// The int8 copies <c>models add --int8</c> makes, on our shipped general-x4 (a real model) fed crops
/// of samples/coffee.png (real photo pixels, from the fixture generator).
/// </summary>
public class Int8QuantizerTests
{
    private static string GeneralX4 => Path.Combine(RepositoryRoot(), "models", "general", "general-x4.onnx");

    private static SyntheticModels.Crop Coffee => Get().Crops.Values.First(c => c.Height >= 32 && c.Width >= 32);

    /// <summary>The fixture's 37x45 coffee crop as a check photo.</summary>
    private static DenseTensor<float> Photo => new(Coffee.Data.ToArray(), [1, 3, Coffee.Height, Coffee.Width]);

    /// <summary>16x16 pieces of the fixture's 37x45 coffee crop, at strengths across the denoise range.</summary>
    private static List<CalibrationInput> Pieces()
    {
        var crop = Coffee;
        var pieces = new List<CalibrationInput>();
        for (int y0 = 0; y0 + 16 <= crop.Height; y0 += 8)
            for (int x0 = 0; x0 + 16 <= crop.Width; x0 += 8)
            {
                var piece = new float[3 * 16 * 16];
                for (int c = 0; c < 3; c++)
                    for (int y = 0; y < 16; y++)
                        for (int x = 0; x < 16; x++)
                            piece[(c * 16 + y) * 16 + x] = crop.Data[(c * crop.Height + y0 + y) * crop.Width + x0 + x];
                pieces.Add(new CalibrationInput(new DenseTensor<float>(piece, [1, 3, 16, 16]), pieces.Count % 3 / 2f));
            }
        return pieces;
    }

    [Test]
    public void The_copy_of_a_shipped_model_is_a_fused_int8_graph_with_the_same_inputs_and_outputs_and_passes_the_bars()
    {
        byte[] float32 = File.ReadAllBytes(GeneralX4);
        // Checked on the crop enlarged 2x by repeating pixels (74x90), which the check reduces x4 to 18x22;
        // the crop itself would give 9x11, under the 16 px a model takes (next test).
        var copies = Int8Quantizer.Quantize(GeneralX4, float32, Pieces(), [Doubled(Photo)], 1f);
        var copy = copies.Int8;

        var original = OnnxProto.ModelProto.Parser.ParseFrom(float32);
        var model = OnnxProto.ModelProto.Parser.ParseFrom(copy.Onnx);
        Assert.That(model.Graph.Input.Select(i => i.Name), Is.EqualTo(original.Graph.Input.Select(i => i.Name)));
        Assert.That(model.Graph.Output.Select(o => o.Name), Is.EqualTo(original.Graph.Output.Select(o => o.Name)));
        // 12 convolutions; the first and last stay float32.
        Assert.That((copy.QuantizedConvolutions, copy.Convolutions), Is.EqualTo((10, 12)));
        Assert.That(model.Graph.Initializer.Count(t => t.DataType == (int)OnnxProto.TensorProto.Types.DataType.Int8 && t.Dims.Count == 4), Is.EqualTo(10));
        Assert.That(model.Graph.Node.Count(n => n.OpType == "QuantizeLinear"), Is.EqualTo(20), "each int8 convolution's input and output");
        // Our own models' copies agree with float32 to 50-56 dB on samples/*.png (models/README.md).
        Assert.That(copy.Check.Scale, Is.EqualTo(4));
        Assert.That(copy.Check.AgreementDb, Is.GreaterThan(Int8Copy.MinimumAgreementDb).And.LessThan(99));
        Assert.That(copy.Check.LossDb, Is.LessThanOrEqualTo(Int8Copy.MaximumLossDb));
        Assert.That(copy.Check.Float32Db, Is.GreaterThan(20).And.LessThan(60));
        Assert.That(copy.Accepted, Is.True);
        Assert.That(copy.Summary, Does.Match(@"^PSNR-Y [+-]\d\.\d{3} dB against float32's on 1 check photos \(downscaled x4, upscaled again\), agreement with float32 \d+\.\d dB \(10 of 12 convolutions int8, 8-bit weights"));

        // The AVX2 copy: the same graph with weights in -63..63, which AVX2's saturating pair sums cannot overflow.
        var avx2 = OnnxProto.ModelProto.Parser.ParseFrom(copies.Int8Avx2.Onnx);
        var weights = avx2.Graph.Initializer.Where(t => t.DataType == (int)OnnxProto.TensorProto.Types.DataType.Int8 && t.Dims.Count == 4).ToList();
        Assert.That(weights, Has.Count.EqualTo(10));
        Assert.That(weights.SelectMany(w => w.RawData.ToByteArray()).Select(b => Math.Abs((int)(sbyte)b)).Max(), Is.EqualTo(63));
        Assert.That(copies.Int8Avx2.WeightBits, Is.EqualTo(7));
        Assert.That(copies.Int8Avx2.Accepted, Is.True);
    }

    [Test]
    public void Quantizing_stops_when_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() =>
            Int8Quantizer.Quantize(GeneralX4, File.ReadAllBytes(GeneralX4), Pieces(), [Doubled(Photo)], 1f, cancellationToken: cancelled.Token));
    }

    [Test]
    public void A_cancellation_stops_a_run_of_the_model_while_it_runs()
    {
        // 300 convolutions of 64 channels on 256x256: 1.5 TFLOP, seconds on any CPU; the cancellation comes
        // 200 ms in. Without the terminate flag the run would finish and return its result.
        var g = new OnnxGraphBuilder("deep");
        var pads = OnnxGraphBuilder.Attr("pads", 1, 1, 1, 1);
        string x = g.AddImageInput("image");
        string wide = g.Weight("wide", new float[64 * 64 * 9], 64, 64, 3, 3);
        string t = g.Node("Conv", [x, g.Weight("first", new float[64 * 3 * 9], 64, 3, 3, 3)], pads);
        for (int i = 0; i < 300; i++)
            t = g.Node("Conv", [t, wide], pads);
        string y = g.Node("Conv", [t, g.Weight("last", new float[3 * 64 * 9], 3, 64, 3, 3)], pads);
        g.AddImageOutput(y, y);
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(g.Build("test"));
        var feeds = ModelFeeds.For("image", new DenseTensor<float>(new float[3 * 256 * 256], [1, 3, 256, 256]), null, 0f);
        using var cancel = new CancellationTokenSource();
        using var runs = new CancellableRuns(cancel.Token);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(200));
        Assert.Throws<OperationCanceledException>(() => runs.Run(session, feeds).Dispose());
    }

    [Test]
    public void Check_photos_too_small_for_the_models_scale_are_a_one_line_error()
    {
        var e = Assert.Throws<ModelImportException>(() => Int8Quantizer.Quantize(GeneralX4, File.ReadAllBytes(GeneralX4), Pieces(), [Photo], 1f));
        Assert.That(e!.Message, Does.StartWith("general-x4.onnx: no int8 copy: no check photo is 64 px a side or more, which a x4 model needs").And.Not.Contain("\n"));
    }

    [Test]
    public void Int8_weights_are_within_half_a_step_of_the_float_weights_in_every_channel()
    {
        // A channel whose largest weight is negative once got scale 1 (all its weights rounded to 0).
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(GeneralX4));
        var writer = new QdqGraphWriter(model);
        var ranges = writer.ActivationTensors.ToDictionary(t => t, _ => ActivationQuantization.Covering(-1, 1));
        var written = writer.Write(ranges);
        var initializers = written.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var conv in writer.Convolutions)
        {
            float[] w = Floats(model.Graph.Initializer.Single(t => t.Name == conv.Input[1]));
            var q = initializers[conv.Input[1] + "_quantized"].RawData.Span;
            float[] scales = Floats(initializers[conv.Input[1] + "_scale"]);
            int per = w.Length / scales.Length;
            for (int i = 0; i < w.Length; i++)
                Assert.That((sbyte)q[i] * scales[i / per], Is.EqualTo(w[i]).Within(scales[i / per] / 2 * 1.0001), $"{conv.Input[1]}[{i}]");
            for (int c = 0; c < scales.Length; c++)
                Assert.That(scales[c], Is.EqualTo(w.Skip(c * per).Take(per).Max(Math.Abs) / 127).Within(1e-6), $"{conv.Input[1]} channel {c}");
        }
    }

    [Test]
    public void Nodes_without_names_are_quantized_like_named_ones()
    {
        // ONNX allows nameless nodes; the writer once picked its convolutions by name.
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(GeneralX4));
        foreach (var node in model.Graph.Node)
            node.Name = "";
        var writer = new QdqGraphWriter(model);
        var written = writer.Write(writer.ActivationTensors.ToDictionary(t => t, _ => ActivationQuantization.Covering(-1, 1)));
        Assert.That(written.Graph.Node.Count(n => n.OpType == "Conv"), Is.EqualTo(12));
        Assert.That(written.Graph.Node.Count(n => n.OpType == "QuantizeLinear"), Is.EqualTo(20));
        Assert.That(written.Graph.Node.Count(n => n.OpType == "LeakyRelu"), Is.EqualTo(model.Graph.Node.Count(n => n.OpType == "LeakyRelu")));
        var names = written.Graph.Node.SelectMany(n => n.Output).Concat(written.Graph.Initializer.Select(t => t.Name)).ToList();
        Assert.That(names, Is.Unique);
    }

    [Test]
    public void A_channel_whose_bias_would_not_fit_an_int32_gets_a_larger_weight_scale_instead_of_failing()
    {
        // Weights of 1e-9 under a bias of 0.5: at weight scale 1e-9/127 the bias is ~6e10 steps.
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(GeneralX4));
        var writer = new QdqGraphWriter(model);
        var conv = writer.Convolutions[3];
        var weight = model.Graph.Initializer.Single(t => t.Name == conv.Input[1]);
        var bias = model.Graph.Initializer.Single(t => t.Name == conv.Input[2]);
        float[] w = FloatInitializers.Read(weight), b = FloatInitializers.Read(bias);
        int per = w.Length / b.Length;
        for (int i = 0; i < per; i++)
            w[i] = 1e-9f;
        b[0] = 0.5f;
        FloatInitializers.Write(weight, w);
        FloatInitializers.Write(bias, b);

        var written = new QdqGraphWriter(model).Write(writer.ActivationTensors.ToDictionary(t => t, _ => ActivationQuantization.Covering(-1, 1)));
        var initializers = written.Graph.Initializer.ToDictionary(t => t.Name);
        float[] biasScales = FloatInitializers.Read(initializers[conv.Input[2] + "_scale"]);
        int[] biasValues = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(initializers[conv.Input[2] + "_quantized"].RawData.Span).ToArray();
        Assert.That(biasValues[0] * (double)biasScales[0], Is.EqualTo(0.5).Within(1e-6), "the bias is still exact");
        Assert.That(Math.Abs((long)biasValues[0]), Is.LessThan(int.MaxValue));
    }

    [Test]
    public void Equalizing_channels_leaves_the_float_model_computing_the_same_and_evens_out_its_activations()
    {
        var pieces = Pieces();
        byte[] float32 = File.ReadAllBytes(GeneralX4);
        var model = OnnxProto.ModelProto.Parser.ParseFrom(float32);
        var equalized = ChannelEqualizer.Equalize(model, pieces, "image", "denoise");

        var inputs = new Dictionary<string, (float[], int[])> { ["image"] = (pieces[5].Image.Buffer.ToArray(), [1, 3, 16, 16]), ["denoise"] = ([0.5f], [1]) };
        var before = OnnxRunner.RunGraph(float32, inputs)["upscaled"];
        var after = OnnxRunner.RunGraph(Google.Protobuf.MessageExtensions.ToByteArray(equalized), inputs)["upscaled"];
        Assert.That(OnnxRunner.MaxAbsDifference(before.Data, after.Data), Is.LessThan(1e-4f));

        // The activations between the convolutions: the widest channel's range over the mean range shrinks.
        var activations = model.Graph.Node.Where(n => n.OpType == "LeakyRelu").Select(n => n.Output[0]).Skip(1).SkipLast(1).ToList();
        Assert.That(activations, Is.Not.Empty);
        double Spread(OnnxProto.ModelProto m) => ActivationCalibrator.ChannelMaxima(m, activations, pieces, "image", "denoise").Values.Average(r => r.Max() / r.Average());
        Assert.That(Spread(equalized), Is.LessThan(Spread(model) * 0.8));
    }

    [TestCase(2)]
    [TestCase(3)]
    [TestCase(4)]
    public void The_checks_downscale_is_the_projects_matlab_bicubic_imresize_to_the_level(int factor)
    {
        var crop = Coffee;
        string input = Path.Combine(Path.GetTempPath(), $"int8-bicubic-{Environment.ProcessId}-{factor}.f32");
        File.WriteAllBytes(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(crop.Data.AsSpan()).ToArray());
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in new[] { "-c", """
            import sys, numpy as np
            sys.path.insert(0, sys.argv[1])
            from imresize import imresize
            h, w, f = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
            hr = np.round(np.fromfile(sys.argv[2], np.float32).reshape(3, h, w).transpose(1, 2, 0) * 255).astype(np.uint8)
            lr = imresize(hr[: h // f * f, : w // f * f], 1.0 / f)
            sys.stdout.write(" ".join(str(v) for v in lr.transpose(2, 0, 1).ravel()))
            """, Path.Combine(RepositoryRoot(), "models", "eval"), input, crop.Height.ToString(), crop.Width.ToString(), factor.ToString() })
            start.ArgumentList.Add(arg);
        using var python = System.Diagnostics.Process.Start(start)!;
        int[] expected = python.StandardOutput.ReadToEnd().Split(' ').Select(int.Parse).ToArray();
        python.WaitForExit();
        File.Delete(input);

        // The crop's values are 8-bit levels (/255), as the reference reads them.
        var image = new DenseTensor<float>(crop.Data.Select(v => MathF.Round(v * 255) / 255).ToArray(), [1, 3, crop.Height, crop.Width]);
        var lr = BicubicDownscale.Apply(image, factor, 1f);
        Assert.That(lr.Dimensions.ToArray(), Is.EqualTo(new[] { 1, 3, crop.Height / factor, crop.Width / factor }));
        Assert.That(lr.Buffer.ToArray().Select(v => (int)MathF.Round(v * 255)), Is.EqualTo(expected));
    }

    [Test]
    public void A_model_split_into_a_statistics_pass_gets_a_one_line_refusal()
    {
        var c = Get().Cases.First(x => x.Name == "ncnn_cugan_like_x2");
        var model = ModelConverter.Convert(c.Files.Select(PathOf).ToList(), new ConvertOptions { SplitGlobalPooling = true });
        var pieces = Pieces();
        var e = Assert.Throws<ModelImportException>(() => Int8Quantizer.Quantize("up2x.param", model.Onnx, pieces, [Photo], 1f));
        Assert.That(e!.Message, Does.StartWith("up2x.param: no int8 copy: only models whose inputs are one image and at most a denoise strength").And.Not.Contain("\n"));
    }

    [Test]
    public void A_second_input_of_unknown_shape_gets_the_same_refusal()
    {
        // general-x4 with its denoise input's shape left out: not known to be a strength of shape [1].
        var model = OnnxProto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(GeneralX4));
        model.Graph.Input.Single(i => i.Name == "denoise").Type.TensorType.Shape = null;
        byte[] unshaped = Google.Protobuf.MessageExtensions.ToByteArray(model);
        var e = Assert.Throws<ModelImportException>(() => Int8Quantizer.Quantize("unshaped.onnx", unshaped, Pieces(), [Photo], 1f));
        Assert.That(e!.Message, Does.StartWith("unshaped.onnx: no int8 copy: only models whose inputs are one image and at most a denoise strength").And.Not.Contain("\n"));
    }

    /// <summary>Each pixel repeated 2x2.</summary>
    private static DenseTensor<float> Doubled(DenseTensor<float> t)
    {
        int h = t.Dimensions[2], w = t.Dimensions[3];
        var big = new DenseTensor<float>([1, 3, 2 * h, 2 * w]);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 2 * h; y++)
                for (int x = 0; x < 2 * w; x++)
                    big[0, c, y, x] = t[0, c, y / 2, x / 2];
        return big;
    }

    private static float[] Floats(OnnxProto.TensorProto t) =>
        t.RawData.Length > 0 ? System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray() : t.FloatData.ToArray();
}
