using NetVips;
using Upscaler.Cli;
using Upscaler.Cli.Terminal;

// libvips' own warnings (e.g. about odd metadata) would interleave with our one-line messages.
Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning, (_, _, _) => { });

string models = Environment.GetEnvironmentVariable("UPSCALER_MODELS_DIR") is { Length: > 0 } fromEnvironment
    ? fromEnvironment
    : Path.Combine(AppContext.BaseDirectory, "models");
var commandLine = new UpscalerCommandLine(Console.Out, Console.Error, interactive: !Console.IsErrorRedirected, models);
using var interrupt = new InterruptSignals();
return await commandLine.RunAsync(args, interrupt.Token);
