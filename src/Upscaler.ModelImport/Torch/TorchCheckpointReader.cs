using System.Collections;
using System.IO.Compression;
using Razorvine.Pickle;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport.Torch;

/// <summary>
/// Reads the float tensors of a PyTorch checkpoint written by torch.save: the zip format (PyTorch
/// 1.6 and later: data.pkl plus one file per storage) and the older single-stream format (a run of
/// pickles followed by the raw storages). No Python runs and no PyTorch is needed: the pickle is
/// first scanned for the globals it names, and only torch's tensor-rebuild functions and
/// OrderedDict are allowed (<see cref="TorchPickleObjects"/>).
/// Checkpoints that wrap the weights ({"params_ema": ...}, {"params": ...}, {"state_dict": ...})
/// are unwrapped, preferring the EMA weights as Real-ESRGAN's own inference does.
/// </summary>
internal static class TorchCheckpointReader
{
    private static readonly byte[] ZipMagic = [0x50, 0x4B, 0x03, 0x04];

    // The legacy format starts with pickle protocol 2 and the long 0x1950a86a20f9469cfc6c.
    private static readonly byte[] LegacyMagic = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

    private static readonly string[] WrapperKeys = ["params_ema", "params", "state_dict", "model", "net_g", "generator"];

    public static bool LooksLikeZip(ReadOnlySpan<byte> head) => head.StartsWith(ZipMagic);

    public static bool LooksLikeLegacy(ReadOnlySpan<byte> head) => head.StartsWith(LegacyMagic);

    public static StateDict Read(string path)
    {
        TorchPickleObjects.EnsureRegistered();
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var probe = File.OpenRead(path))
            n = probe.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        try
        {
            if (LooksLikeZip(head[..n]))
                return ReadZip(path);
            if (LooksLikeLegacy(head[..n]))
                return ReadLegacy(path);
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or PickleException or InvalidCastException or IOException or FormatException or OverflowException or IndexOutOfRangeException)
        {
            throw new ModelImportException(path, $"corrupt or truncated PyTorch checkpoint ({Upscaler.Core.ErrorText.OneLine(e.Message).TrimEnd('.')})", e);
        }
        throw new ModelImportException(path, "not a PyTorch checkpoint");
    }

    private static StateDict ReadZip(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var pickleEntry = zip.Entries.FirstOrDefault(e => e.FullName == "data.pkl" || e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal))
            ?? throw new ModelImportException(path, "a zip file but not a PyTorch checkpoint (no data.pkl)");
        string prefix = pickleEntry.FullName[..^"data.pkl".Length];

        object root;
        using (var pickle = new MemoryStream())
        {
            using (var s = pickleEntry.Open())
                s.CopyTo(pickle);
            pickle.Position = 0;
            CheckGlobals(path, pickle);
            pickle.Position = 0;
            root = new TorchPickleObjects.CheckpointUnpickler().load(pickle);
        }

        var storages = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] LoadStorage(StorageRef s)
        {
            if (!storages.TryGetValue(s.Key, out var bytes))
            {
                var entry = zip.GetEntry(prefix + "data/" + s.Key)
                    ?? throw new ModelImportException(path, $"truncated PyTorch checkpoint (storage {s.Key} is missing)");
                bytes = new byte[entry.Length];
                using (var es = entry.Open())
                    es.ReadExactly(bytes);
                storages[s.Key] = bytes;
            }
            return bytes;
        }
        return ToStateDict(path, root, LoadStorage);
    }

    private static StateDict ReadLegacy(string path)
    {
        using var file = File.OpenRead(path);
        // magic number, protocol version, system info: plain data pickles
        for (int i = 0; i < 3; i++)
        {
            long start = file.Position;
            CheckGlobals(path, file);
            file.Position = start;
            new Unpickler().load(file);
        }

        long mainStart = file.Position;
        CheckGlobals(path, file);
        file.Position = mainStart;
        object root = new TorchPickleObjects.CheckpointUnpickler().load(file);

        long keysStart = file.Position;
        CheckGlobals(path, file);
        file.Position = keysStart;
        if (new Unpickler().load(file) is not ArrayList keys)
            throw new InvalidDataException("no storage list");

        // Each storage follows as an int64 element count and its raw bytes, in the order of the key list;
        // remember where each one starts and read it when a tensor needs it.
        var elementSizes = new Dictionary<string, int>(StringComparer.Ordinal);
        CollectStorageSizes(root, elementSizes);
        var offsets = new Dictionary<string, (long Offset, long Count)>(StringComparer.Ordinal);
        var reader = new BinaryReader(file);
        foreach (string key in keys.Cast<string>())
        {
            long count = reader.ReadInt64();
            if (!elementSizes.TryGetValue(key, out int size))
                size = 4;
            offsets[key] = (file.Position, count);
            if (count < 0 || file.Position + count * size > file.Length)
                throw new EndOfStreamException("storage data ends beyond the end of the file");
            file.Seek(count * size, SeekOrigin.Current);
        }

        byte[] LoadStorage(StorageRef s)
        {
            if (!offsets.TryGetValue(s.Key, out var at))
                throw new InvalidDataException($"storage {s.Key} is missing");
            var bytes = new byte[at.Count * s.ElementSize];
            file.Position = at.Offset;
            file.ReadExactly(bytes);
            return bytes;
        }
        return ToStateDict(path, root, LoadStorage);
    }

    private static void CheckGlobals(string path, Stream pickle)
    {
        var (globals, _) = PickleGlobalScanner.Scan(pickle);
        string? refused = globals.FirstOrDefault(g => !TorchPickleObjects.IsAllowed(g));
        if (refused is not null)
            throw new ModelImportException(path, $"unsupported or unsafe pickle content: the checkpoint refers to '{refused}' (only plain state dicts of tensors are read)");
    }

    private static void CollectStorageSizes(object? node, Dictionary<string, int> sizes)
    {
        switch (node)
        {
            case TensorRef t:
                sizes[t.Storage.Key] = t.Storage.ElementSize;
                break;
            case IDictionary d:
                foreach (DictionaryEntry e in d)
                    CollectStorageSizes(e.Value, sizes);
                break;
            case IList l when node is not byte[]:
                foreach (var item in l)
                    CollectStorageSizes(item, sizes);
                break;
        }
    }

    private static StateDict ToStateDict(string path, object root, Func<StorageRef, byte[]> loadStorage)
    {
        if (root is not IDictionary dict)
            throw new ModelImportException(path, "the checkpoint is not a state dict (its top level is not a dictionary)");
        foreach (string wrapper in WrapperKeys)
        {
            if (dict[wrapper] is IDictionary inner && inner.Values.Cast<object>().Any(v => v is TensorRef))
            {
                dict = inner;
                break;
            }
        }

        var tensors = new List<WeightTensor>();
        foreach (DictionaryEntry entry in dict)
        {
            if (entry.Key is not string name || entry.Value is not TensorRef t || t.Storage.Type == ElementType.NonFloat)
                continue;
            tensors.Add(Materialise(path, name, t, loadStorage(t.Storage)));
        }
        if (tensors.Count == 0)
            throw new ModelImportException(path, "the checkpoint holds no float tensors (not a state dict of a network)");
        return new StateDict(path, tensors);
    }

    private static WeightTensor Materialise(string path, string name, TensorRef t, byte[] storage)
    {
        int elementSize = t.Storage.ElementSize;
        long count = t.Size.Aggregate(1L, (a, d) => a * d);
        long available = storage.Length / elementSize;
        long baseOffset = t.Storage.ViewOffset + t.Offset;
        // The largest element index the view touches must lie inside the storage.
        long last = baseOffset + t.Size.Select((d, i) => d == 0 ? 0 : (d - 1) * t.Stride[i]).Sum();
        if (count == 0)
            return new WeightTensor(name, t.Size, []);
        if (baseOffset < 0 || last >= available || t.Stride.Any(s => s < 0))
            throw new ModelImportException(path, $"truncated PyTorch checkpoint (tensor '{name}' lies beyond its storage)");

        float[] all = ElementTypes.ToFloat32(storage.AsSpan(0, (int)(available * elementSize)), t.Storage.Type, available);
        var data = new float[count];
        var index = new int[t.Size.Length];
        for (long i = 0; i < count; i++)
        {
            long src = baseOffset;
            for (int d = 0; d < index.Length; d++)
                src += index[d] * t.Stride[d];
            data[i] = all[src];
            for (int d = index.Length - 1; d >= 0; d--)
            {
                if (++index[d] < t.Size[d])
                    break;
                index[d] = 0;
            }
        }
        return new WeightTensor(name, t.Size, data);
    }
}
