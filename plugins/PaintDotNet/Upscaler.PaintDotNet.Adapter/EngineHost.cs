using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;

namespace Upscaler.PaintDotNet.Adapter;

/// <summary>
/// The engine as the effect uses it: one per process, reading the models installed beside the effect
/// (Effects\AIUpscale\models), so models load and sessions are built once however often the dialog opens.
/// </summary>
public sealed class EngineHost : IDisposable
{
    private readonly ServiceProvider _services;

    private EngineHost(ServiceProvider services) => _services = services;

    public IUpscaler Upscaler => _services.GetRequiredService<IUpscaler>();

    /// <summary>
    /// Creates an engine for a plug-in folder holding <c>models/manifest.json</c> (and the bundled open models
    /// in <c>models/open</c>), listing the user's own models too (<see cref="UserModelsFolder"/>).
    /// </summary>
    public static EngineHost ForPluginDirectory(string pluginDirectory) => ForPluginDirectory(pluginDirectory, UserModelsFolder.Default());

    /// <summary>As <see cref="ForPluginDirectory(string)"/> with another per-user models folder (null: none).</summary>
    public static EngineHost ForPluginDirectory(string pluginDirectory, string? userModelsDirectory)
    {
        PreloadDirectML(pluginDirectory);
        var services = new ServiceCollection()
            .AddUpscaler(s =>
            {
                s.ModelsDirectory = Path.Combine(pluginDirectory, "models");
                s.UserModelsDirectory = userModelsDirectory;
            })
            .BuildServiceProvider();
        return new EngineHost(services);
    }

    /// <summary>The folder an assembly was loaded from: for the effect, Effects\AIUpscale.</summary>
    public static string DirectoryOf(System.Reflection.Assembly assembly) =>
        Path.GetDirectoryName(assembly.Location) is { Length: > 0 } directory ? directory : AppContext.BaseDirectory;

    /// <summary>
    /// Loads the DirectML.dll shipped beside the effect before ONNX Runtime asks for it. Windows resolves
    /// a DLL's own imports by module name: once ours is loaded, onnxruntime.dll binds to it instead of an
    /// older DirectML.dll in System32 or in Paint.NET's folder, neither of which it was built against.
    /// </summary>
    internal static bool PreloadDirectML(string pluginDirectory)
    {
        if (!OperatingSystem.IsWindows())
            return false;
        string? path = DirectMLCandidates(pluginDirectory, RuntimeInformation.ProcessArchitecture).FirstOrDefault(File.Exists);
        return path is not null && NativeLibrary.TryLoad(path, out _);
    }

    /// <summary>
    /// Where the build puts DirectML.dll: beside the effect when built for one runtime (-r win-x64),
    /// else under runtimes/win-ARCH/native, where the .deps.json sends ONNX Runtime's own native files.
    /// </summary>
    internal static IEnumerable<string> DirectMLCandidates(string pluginDirectory, Architecture architecture)
    {
        yield return Path.Combine(pluginDirectory, "DirectML.dll");
        yield return Path.Combine(pluginDirectory, "runtimes", "win-" + architecture.ToString().ToLowerInvariant(), "native", "DirectML.dll");
    }

    public void Dispose() => _services.Dispose();
}
