using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Upscaler.Bridge;
using Upscaler.Core;

// stdout carries protocol frames only: keep the raw stream, and send anything that prints through
// Console.Out (a library, a stray debug line) to stderr instead, where it cannot corrupt a frame.
var stdout = Console.OpenStandardOutput();
var stderr = Console.Error;
Console.SetOut(stderr);

switch (args)
{
    case ["--version"]:
        using (var w = new StreamWriter(stdout))
            w.WriteLine(BridgeVersion.Banner);
        return 0;
    case ["--help" or "-h"]:
        using (var w = new StreamWriter(stdout))
            w.WriteLine($"""
                {BridgeVersion.Banner}
                Serves upscale requests on stdin and answers on stdout (docs/bridge-protocol.md).
                It is started by the GIMP plug-in; it is not meant to be run by hand.
                Environment: UPSCALER_MODELS_DIR (default: models/ beside the executable),
                             UPSCALER_BRIDGE_LOG (debug, information, warning, error; default warning).
                """);
        return 0;
    case []:
        break;
    default:
        stderr.WriteLine($"upscaler-bridge: error: unknown argument \"{args[0]}\"; try --help");
        return 64;
}

string models = Environment.GetEnvironmentVariable("UPSCALER_MODELS_DIR") is { Length: > 0 } fromEnvironment
    ? fromEnvironment
    : Path.Combine(AppContext.BaseDirectory, "models");

var services = new ServiceCollection();
var level = StderrLoggerProvider.LevelFromEnvironment();
services.AddLogging(logging => logging.ClearProviders().SetMinimumLevel(level).AddProvider(new StderrLoggerProvider(stderr, level)));
services.AddUpscaler(settings => settings.ModelsDirectory = models);
using var provider = services.BuildServiceProvider();

var server = new BridgeServer(
    provider.GetRequiredService<IUpscaler>(),
    Console.OpenStandardInput(),
    stdout,
    provider.GetRequiredService<ILoggerFactory>().CreateLogger("upscaler-bridge"));
return await server.RunAsync();
