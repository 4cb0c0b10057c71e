using Microsoft.Extensions.DependencyInjection;
using Upscaler.Core;

namespace Upscaler.DevTools;

/// <summary>The engine as the command line wires it, on the shipped models copied beside this tool, without the user's models.</summary>
internal static class Engine
{
    public static IUpscaler Create() =>
        new ServiceCollection()
            .AddUpscaler(s => s.UserModelsDirectory = null)
            .BuildServiceProvider()
            .GetRequiredService<IUpscaler>();
}
