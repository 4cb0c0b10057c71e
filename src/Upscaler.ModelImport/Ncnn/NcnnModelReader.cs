using System.Buffers.Binary;

namespace Upscaler.ModelImport.Ncnn;

/// <summary>
/// Reads an ncnn text .param file and its .bin. The .bin is a concatenation of each layer's weights
/// in layer order, with no names: which blobs a layer reads and how is ncnn's own knowledge,
/// repeated here for the layer types this converter supports. Convolution-style weights carry a
/// 4-byte tag (0 = float32, 0x01306B47 = float16, other non-zero = 8-bit codebook; int8 models are
/// refused); per-channel blobs (biases, slopes) are raw float32. Everything is widened to float32.
/// </summary>
internal static class NcnnModelReader
{
    public const int Magic = 7767517;

    private const uint TagFloat16 = 0x01306B47;
    private const uint TagInt8 = 0x000D4B38;
    private const uint TagRawFloat = 0x0002C056;

    /// <summary>True when the text starts with the ncnn .param magic number.</summary>
    public static bool LooksLikeParam(ReadOnlySpan<byte> head)
    {
        var text = System.Text.Encoding.ASCII.GetString(head).TrimStart();
        return text.StartsWith(Magic.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    public static NcnnModel Read(string paramFile, string binFile)
    {
        var layers = ParseParam(paramFile);
        if (!File.Exists(binFile))
            throw new ModelImportException(paramFile, $"the weights file {Path.GetFileName(binFile)} is missing (an ncnn model is a .param and a .bin)");
        byte[] bin = File.ReadAllBytes(binFile);
        var reader = new BinReader(bin, binFile);
        foreach (var layer in layers)
            LoadWeights(layer, reader);
        if (reader.Remaining != 0)
            throw new ModelImportException(binFile, $".param and .bin do not match: {reader.Remaining} bytes of the .bin are left over after the last layer");
        return new NcnnModel(paramFile, binFile, layers);
    }

    private static List<NcnnLayer> ParseParam(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        }
        catch (IOException e)
        {
            throw new ModelImportException(path, "cannot read the file", e);
        }
        ModelImportException Error(string problem) => new(path, problem);
        if (lines.Length < 2 || lines[0] != Magic.ToString(System.Globalization.CultureInfo.InvariantCulture))
            throw Error("not an ncnn .param file (magic number 7767517 missing; binary .param.bin files are not supported)");
        var counts = lines[1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (counts.Length != 2 || !int.TryParse(counts[0], out int layerCount) || !int.TryParse(counts[1], out int blobCount) || layerCount <= 0)
            throw Error("corrupt ncnn .param file (bad layer/blob count line)");
        if (lines.Length - 2 < layerCount)
            throw Error($"truncated ncnn .param file ({lines.Length - 2} of {layerCount} layers)");
        _ = blobCount;

        var layers = new List<NcnnLayer>(layerCount);
        for (int i = 0; i < layerCount; i++)
        {
            var f = lines[2 + i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int lineNo = i + 3;
            if (f.Length < 4 || !int.TryParse(f[2], out int nb) || !int.TryParse(f[3], out int nt) || nb < 0 || nt < 0 || f.Length < 4 + nb + nt)
                throw Error($"corrupt ncnn .param file (line {lineNo})");
            var p = NcnnParams.Parse(f.Skip(4 + nb + nt), problem => Error($"line {lineNo}: {problem}"));
            layers.Add(new NcnnLayer(f[0], f[1], f[4..(4 + nb)], f[(4 + nb)..(4 + nb + nt)], p));
        }
        return layers;
    }

    private static void LoadWeights(NcnnLayer layer, BinReader bin)
    {
        var p = layer.Params;
        switch (layer.Type)
        {
            case "Convolution":
            case "ConvolutionDepthWise":
            case "Deconvolution":
            case "DeconvolutionDepthWise":
                if (p.Int(layer.Type.StartsWith("Deconv", StringComparison.Ordinal) ? 28 : 19, 0) != 0)
                    throw Unsupported(layer, bin, "dynamic weights");
                if (p.Int(8, 0) != 0)
                    throw Unsupported(layer, bin, "int8 quantisation (int8_scale_term)");
                layer.Weights["weight"] = bin.Tagged(p.Int(6, 0), layer);
                if (p.Int(5, 0) != 0)
                    layer.Weights["bias"] = bin.Raw(p.Int(0, 0), layer);
                break;
            case "InnerProduct":
                if (p.Int(8, 0) != 0)
                    throw Unsupported(layer, bin, "int8 quantisation (int8_scale_term)");
                layer.Weights["weight"] = bin.Tagged(p.Int(2, 0), layer);
                if (p.Int(1, 0) != 0)
                    layer.Weights["bias"] = bin.Raw(p.Int(0, 0), layer);
                break;
            case "PReLU":
                layer.Weights["slope"] = bin.Raw(p.Int(0, 0), layer);
                break;
            case "Scale":
                if (p.Int(0, 0) != -233)
                {
                    layer.Weights["scale"] = bin.Raw(p.Int(0, 0), layer);
                    if (p.Int(1, 0) != 0)
                        layer.Weights["bias"] = bin.Raw(p.Int(0, 0), layer);
                }
                break;
            case "BatchNorm":
                int channels = p.Int(0, 0);
                foreach (string role in new[] { "slope", "mean", "variance", "bias" })
                    layer.Weights[role] = bin.Raw(channels, layer);
                break;
            case "Padding":
                if (p.Int(6, 0) > 0)
                    layer.Weights["pad_values"] = bin.Raw(p.Int(6, 0), layer);
                break;
            case "Input":
            case "Split":
            case "Concat":
            case "Eltwise":
            case "BinaryOp":
            case "ReLU":
            case "Sigmoid":
            case "TanH":
            case "Clip":
            case "Interp":
            case "PixelShuffle":
            case "Crop":
            case "Pooling":
            case "Dropout":
            case "Noop":
            case "Flatten":
                break;
            default:
                throw new ModelImportException(bin.File, $"unsupported ncnn layer type '{layer.Type}' (layer '{layer.Name}')");
        }
    }

    private static ModelImportException Unsupported(NcnnLayer layer, BinReader bin, string what) =>
        new(bin.File, $"unsupported ncnn parameter in {layer.Type} '{layer.Name}': {what}");

    private sealed class BinReader(byte[] data, string file)
    {
        private int position;

        public string File { get; } = file;

        public long Remaining => data.Length - position;

        /// <summary>A weight blob with its 4-byte storage tag.</summary>
        public float[] Tagged(int count, NcnnLayer layer)
        {
            CheckCount(count, layer);
            uint tag = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, layer));
            if (tag == TagFloat16)
            {
                var bytes = Take(Align4(count * 2), layer);
                var result = new float[count];
                for (int i = 0; i < count; i++)
                    result[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.Slice(i * 2, 2)));
                return result;
            }
            if (tag == TagInt8)
                throw new ModelImportException(File, $"unsupported ncnn weights in {layer.Type} '{layer.Name}': int8-quantised model (convert from the float model instead)");
            if (tag == 0 || tag == TagRawFloat)
                return ReadFloats(count, layer);
            // Any other non-zero tag: 256 float32 code values followed by one uint8 index per weight.
            var table = Take(256 * 4, layer);
            var codes = new float[256];
            for (int i = 0; i < 256; i++)
                codes[i] = BinaryPrimitives.ReadSingleLittleEndian(table.Slice(i * 4, 4));
            var indices = Take(Align4(count), layer);
            var values = new float[count];
            for (int i = 0; i < count; i++)
                values[i] = codes[indices[i]];
            return values;
        }

        /// <summary>A raw float32 blob (biases, slopes, scales).</summary>
        public float[] Raw(int count, NcnnLayer layer)
        {
            CheckCount(count, layer);
            return ReadFloats(count, layer);
        }

        private float[] ReadFloats(int count, NcnnLayer layer)
        {
            var bytes = Take(count * 4, layer);
            var result = new float[count];
            for (int i = 0; i < count; i++)
                result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
            return result;
        }

        private ReadOnlySpan<byte> Take(int count, NcnnLayer layer)
        {
            if (count < 0 || position + (long)count > data.Length)
                throw new ModelImportException(File, $".param and .bin do not match, or the .bin is truncated: the weights of {layer.Type} '{layer.Name}' run past the end of the file");
            var span = data.AsSpan(position, count);
            position += count;
            return span;
        }

        private void CheckCount(int count, NcnnLayer layer)
        {
            if (count <= 0)
                throw new ModelImportException(File, $"corrupt ncnn .param: {layer.Type} '{layer.Name}' declares {count} weights");
        }

        private static int Align4(int n) => (n + 3) / 4 * 4;
    }
}
