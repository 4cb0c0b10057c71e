using NetVips;
using Upscaler.DevTools;
using Upscaler.DevTools.Commands;

// Developer commands: each is one class in Commands/; this file only picks one by name.
Log.SetLogHandler("VIPS", Enums.LogLevelFlags.Warning, (_, _, _) => { });

IDevCommand[] commands = [new BenchCommand(), new OverheadCommand(), new DenoiseFeaturesCommand(), new DenoiseSpeedCommand(), new FacesSpeedCommand(), new FacesRecallCommand(), new Int8CopyCommand()];

var command = args.Length > 0 ? commands.FirstOrDefault(c => c.Name == args[0]) : null;
if (command is null)
{
    Console.Error.WriteLine("usage: upscaler-dev COMMAND [ARGS]");
    foreach (var c in commands)
        Console.Error.WriteLine($"  {c.Name} {c.Usage}\n      {c.Summary}");
    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}
return await command.RunAsync(args[1..], Console.Out, Console.Error);
