using System.Collections;
using Razorvine.Pickle;
using Upscaler.ModelImport.Weights;

namespace Upscaler.ModelImport.Torch;

/// <summary>Where a tensor's bytes live: one storage of a checkpoint, by key.</summary>
internal sealed record StorageRef(string Key, ElementType Type, int ElementSize, long ElementCount, long ViewOffset);

/// <summary>A tensor as the pickle describes it: a strided view of a storage.</summary>
internal sealed record TensorRef(StorageRef Storage, long Offset, int[] Size, long[] Stride);

/// <summary>
/// The only Python globals a checkpoint may name, mapped to inert C# constructors. Everything a
/// torch.save'd state dict needs is here; anything else is refused by <see cref="PickleGlobalScanner"/>
/// before unpickling starts.
/// </summary>
internal static class TorchPickleObjects
{
    private static readonly Dictionary<string, IObjectConstructor> Constructors = new(StringComparer.Ordinal)
    {
        ["collections.OrderedDict"] = new OrderedDictConstructor(),
        ["torch._utils._rebuild_tensor_v2"] = new RebuildTensorConstructor(),
        ["torch._utils._rebuild_parameter"] = new RebuildParameterConstructor(),
        ["torch._utils._rebuild_parameter_with_state"] = new RebuildParameterConstructor(),
        ["torch.FloatStorage"] = new StorageType(ElementType.Float32, 4),
        ["torch.HalfStorage"] = new StorageType(ElementType.Float16, 2),
        ["torch.BFloat16Storage"] = new StorageType(ElementType.BFloat16, 2),
        ["torch.DoubleStorage"] = new StorageType(ElementType.Float64, 8),
        ["torch.LongStorage"] = new StorageType(ElementType.NonFloat, 8),
        ["torch.IntStorage"] = new StorageType(ElementType.NonFloat, 4),
        ["torch.ShortStorage"] = new StorageType(ElementType.NonFloat, 2),
        ["torch.CharStorage"] = new StorageType(ElementType.NonFloat, 1),
        ["torch.ByteStorage"] = new StorageType(ElementType.NonFloat, 1),
        ["torch.BoolStorage"] = new StorageType(ElementType.NonFloat, 1),
    };

    static TorchPickleObjects()
    {
        // Razorvine keeps its constructor table process-wide; registering once is enough.
        foreach (var (qualified, constructor) in Constructors)
        {
            int dot = qualified.LastIndexOf('.');
            Unpickler.registerConstructor(qualified[..dot], qualified[(dot + 1)..], constructor);
        }
    }

    public static bool IsAllowed(string global) => Constructors.ContainsKey(global);

    /// <summary>Makes sure the constructors are registered (runs the static constructor).</summary>
    public static void EnsureRegistered() => _ = Constructors.Count;

    /// <summary>An unpickler whose persistent ids resolve to <see cref="StorageRef"/>s.</summary>
    public sealed class CheckpointUnpickler : Unpickler
    {
        protected override object persistentLoad(object pid)
        {
            // zip format: ('storage', type, key, location, numel)
            // legacy format: ('storage', type, root_key, location, numel, view_metadata)
            if (pid is not object[] t || t.Length < 5 || t[0] as string != "storage" || t[1] is not StorageType type || t[2] is not string key)
                throw new InvalidDataException("unexpected persistent id in the checkpoint");
            long numel = Convert.ToInt64(t[4]);
            long viewOffset = 0;
            if (t.Length >= 6 && t[5] is object[] view && view.Length >= 2)
                viewOffset = Convert.ToInt64(view[1]);
            return new StorageRef(key, type.Type, type.ElementSize, numel, viewOffset);
        }
    }

    /// <summary>Marker for torch.*Storage globals (only ever used inside persistent ids).</summary>
    private sealed class StorageType(ElementType type, int elementSize) : IObjectConstructor
    {
        public ElementType Type { get; } = type;

        public int ElementSize { get; } = elementSize;

        public object construct(object[] args) => throw new InvalidDataException("a storage type was called");
    }

    /// <summary>An OrderedDict; BUILD hands it the instance dict (torch's _metadata), which is dropped.</summary>
    public sealed class PickledDict : Hashtable
    {
        public void __setstate__(Hashtable state)
        {
            _ = state;
        }
    }

    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args) => new PickledDict();
    }

    private sealed class RebuildTensorConstructor : IObjectConstructor
    {
        // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        public object construct(object[] args)
        {
            if (args.Length < 4 || args[0] is not StorageRef storage || args[2] is not object[] size || args[3] is not object[] stride || size.Length != stride.Length)
                throw new InvalidDataException("unexpected arguments to _rebuild_tensor_v2");
            return new TensorRef(storage, Convert.ToInt64(args[1]), size.Select(Convert.ToInt32).ToArray(), stride.Select(Convert.ToInt64).ToArray());
        }
    }

    private sealed class RebuildParameterConstructor : IObjectConstructor
    {
        // _rebuild_parameter(data, requires_grad, backward_hooks): the parameter is its data.
        public object construct(object[] args) =>
            args.Length >= 1 && args[0] is TensorRef tensor ? tensor : throw new InvalidDataException("unexpected arguments to _rebuild_parameter");
    }
}
