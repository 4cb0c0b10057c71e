namespace Upscaler.Installer.Payload;

/// <summary>What upscaler-setup can install.</summary>
public enum ComponentKind
{
    Gimp,
    PaintDotNet,
}

/// <summary>
/// How one component sits in the payload and in its host. The payload folder <c>payload/PAYLOAD_DIR/</c>
/// is copied as a whole to <c>HOST_FOLDER/PLUGIN_DIR</c>.
/// </summary>
public sealed record Component(ComponentKind Kind, string DisplayName, string PayloadDirectory, string PluginDirectoryName, IReadOnlyList<string> Executables)
{
    /// <summary>
    /// GIMP 3 runs plug-ins/NAME/NAME.py, which must be executable; the bridge beside it runs the engine
    /// (self-contained, so GIMP's machine needs no .NET).
    /// </summary>
    public static Component Gimp { get; } = new(ComponentKind.Gimp, "GIMP plug-in", "gimp", "ai-upscale", ["ai-upscale.py", "bridge/upscaler-bridge"]);

    /// <summary>Paint.NET 5 loads Effects\AIUpscale\AIUpscale.dll in its own load context, with its .deps.json.</summary>
    public static Component PaintDotNet { get; } = new(ComponentKind.PaintDotNet, "Paint.NET effect", "paintdotnet", "AIUpscale", []);

    public static IReadOnlyList<Component> All { get; } = [Gimp, PaintDotNet];

    public static Component Of(ComponentKind kind) => kind == ComponentKind.Gimp ? Gimp : PaintDotNet;
}
