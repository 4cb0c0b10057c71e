using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;

namespace Upscaler.DevTools;

/// <summary>
/// The engine as the command line wires it, on the shipped (and bundled) models copied beside this tool;
/// the user's models only when a command names a folder for them.
/// </summary>
internal static class Engine
{
    public static string ModelsDirectory => Path.Combine(AppContext.BaseDirectory, "models");

    public static IUpscaler Create(string? userModels = null, Action<UpscalerSettings>? configure = null) =>
        Services(userModels, configure).GetRequiredService<IUpscaler>();

    /// <summary>The engine's services, for commands that measure its parts (its internals are visible to this tool).</summary>
    public static ServiceProvider Services(string? userModels = null, Action<UpscalerSettings>? configure = null) =>
        new ServiceCollection()
            .AddUpscaler(s =>
            {
                s.ModelsDirectory = ModelsDirectory;
                s.UserModelsDirectory = userModels;
                configure?.Invoke(s);
            })
            .BuildServiceProvider();

    /// <summary>The folder a model's paths (<see cref="ModelInfo.File"/>) are relative to.</summary>
    public static string ManifestDirectory(ModelInfo model, string? userModels) => model.Origin switch
    {
        ModelOrigin.Bundled => Path.Combine(ModelsDirectory, "open"),
        ModelOrigin.User => userModels ?? throw new InvalidOperationException($"{model.Id} is a user model but no user folder was given"),
        _ => ModelsDirectory,
    };
}
