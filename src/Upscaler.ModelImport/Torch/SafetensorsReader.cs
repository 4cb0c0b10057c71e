using System.Buffers.Binary;
using System.Text.Json;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport.Torch;

/// <summary>
/// Reads a .safetensors file: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data. Nothing in it executes.
/// </summary>
internal static class SafetensorsReader
{
    private const long MaxHeaderBytes = 100L << 20;

    /// <summary>True when the file starts like a safetensors header ("{" right after the length).</summary>
    public static bool LooksLike(ReadOnlySpan<byte> head, long fileLength)
    {
        if (head.Length < 9)
            return false;
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
        return head[8] == (byte)'{' && headerLength >= 2 && headerLength <= (ulong)Math.Max(0, fileLength - 8);
    }

    public static StateDict Read(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10)
            throw new ModelImportException(path, "truncated safetensors file (no header)");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > MaxHeaderBytes || headerLength > (ulong)(bytes.Length - 8))
            throw new ModelImportException(path, "truncated or corrupt safetensors file (header length beyond the end of the file)");

        JsonDocument header;
        try
        {
            header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new ModelImportException(path, "corrupt safetensors header (not valid JSON)", e);
        }

        long dataStart = 8 + (long)headerLength;
        long dataLength = bytes.Length - dataStart;
        var tensors = new List<WeightTensor>();
        using (header)
        {
            if (header.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelImportException(path, "corrupt safetensors header (not a JSON object)");
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                    continue;
                var tensor = ReadEntry(path, entry, bytes, dataStart, dataLength);
                if (tensor is not null)
                    tensors.Add(tensor);
            }
        }
        if (tensors.Count == 0)
            throw new ModelImportException(path, "the safetensors file holds no float tensors");
        return new StateDict(path, tensors);
    }

    private static WeightTensor? ReadEntry(string path, JsonProperty entry, byte[] bytes, long dataStart, long dataLength)
    {
        try
        {
            string dtype = entry.Value.GetProperty("dtype").GetString() ?? "";
            int[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            long[] offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var type = dtype switch
            {
                "F32" => ElementType.Float32,
                "F16" => ElementType.Float16,
                "BF16" => ElementType.BFloat16,
                "F64" => ElementType.Float64,
                _ => ElementType.NonFloat,
            };
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0])
                throw new ModelImportException(path, $"corrupt safetensors header (bad data_offsets for '{entry.Name}')");
            if (offsets[1] > dataLength)
                throw new ModelImportException(path, $"truncated safetensors file (tensor '{entry.Name}' ends beyond the end of the file)");
            if (type == ElementType.NonFloat)
                return null;
            long count = shape.Aggregate(1L, (a, d) => a * d);
            if (shape.Any(d => d < 0) || count * ElementTypes.Size(type, 1) != offsets[1] - offsets[0])
                throw new ModelImportException(path, $"corrupt safetensors header (tensor '{entry.Name}' size does not match its shape)");
            var span = bytes.AsSpan((int)(dataStart + offsets[0]), (int)(offsets[1] - offsets[0]));
            return new WeightTensor(entry.Name, shape, ElementTypes.ToFloat32(span, type, count));
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelImportException(path, $"corrupt safetensors header (entry '{entry.Name}')", e);
        }
    }
}
