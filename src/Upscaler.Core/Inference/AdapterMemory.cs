using System.Runtime.InteropServices;

namespace Upscaler.Core.Inference;

/// <summary>
/// Dedicated video memory of the GPU DirectML runs on (DXGI adapter 0, the one ONNX Runtime's DirectML
/// provider picks for device 0), so GPU tiles can be sized from the card instead of a fixed budget.
/// Plain DXGI through its COM vtables: compiled everywhere, called only on Windows, and any failure
/// just means "unknown".
/// </summary>
internal static unsafe class AdapterMemory
{
    // IDXGIFactory1 vtable: IUnknown (0-2), IDXGIObject (3-6), IDXGIFactory (7-11), EnumAdapters1 = 12.
    private const int EnumAdapters1 = 12;
    // IDXGIAdapter1 vtable: IUnknown (0-2), IDXGIObject (3-6), IDXGIAdapter (7-9), GetDesc1 = 10.
    private const int GetDesc1 = 10;
    private const int Release = 2;
    private static readonly Guid IidFactory1 = new("770aae78-f26f-4dba-a829-253c83d1b387");

    [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
    private struct AdapterDesc1
    {
        [MarshalAs(UnmanagedType.ByValTStr, SizeConst = 128)] public string Description;
        public uint VendorId, DeviceId, SubSysId, Revision;
        public nuint DedicatedVideoMemory, DedicatedSystemMemory, SharedSystemMemory;
        public long AdapterLuid;
        public uint Flags;
    }

    [DllImport("dxgi.dll", ExactSpelling = true)]
    private static extern int CreateDXGIFactory1(in Guid riid, out IntPtr factory);

    /// <summary>Bytes of dedicated video memory of adapter 0, or null when it cannot be read.</summary>
    public static long? DedicatedBytes()
    {
        if (!OperatingSystem.IsWindows())
            return null;
        IntPtr factory = IntPtr.Zero, adapter = IntPtr.Zero;
        try
        {
            if (CreateDXGIFactory1(IidFactory1, out factory) < 0)
                return null;
            var enumAdapters = (delegate* unmanaged[Stdcall]<IntPtr, uint, IntPtr*, int>)(*(void***)factory)[EnumAdapters1];
            if (enumAdapters(factory, 0, &adapter) < 0)
                return null;
            // A blittable copy of the description: 128 UTF-16 chars, then the fields above.
            byte* raw = stackalloc byte[Marshal.SizeOf<AdapterDesc1>()];
            var getDesc = (delegate* unmanaged[Stdcall]<IntPtr, byte*, int>)(*(void***)adapter)[GetDesc1];
            if (getDesc(adapter, raw) < 0)
                return null;
            var desc = Marshal.PtrToStructure<AdapterDesc1>((IntPtr)raw);
            return (long)desc.DedicatedVideoMemory;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or SEHException)
        {
            return null;
        }
        finally
        {
            ReleaseCom(adapter);
            ReleaseCom(factory);
        }
    }

    /// <summary>
    /// A GPU tile budget from the card: a quarter of its dedicated memory (the rest is for the desktop,
    /// the editor and DirectML's own buffers), between 256 MiB and 2 GiB; null when unknown.
    /// </summary>
    public static long? TileBudgetBytes() =>
        DedicatedBytes() is long bytes and > 0 ? Math.Clamp(bytes / 4, 256L << 20, 2L << 30) : null;

    private static void ReleaseCom(IntPtr unknown)
    {
        if (unknown != IntPtr.Zero)
            ((delegate* unmanaged[Stdcall]<IntPtr, uint>)(*(void***)unknown)[Release])(unknown);
    }
}
