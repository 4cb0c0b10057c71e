using Upscaler.Installer;
using Upscaler.Installer.Hosts;

// The payload (bridge, engine, models, plug-ins, SHA256SUMS) is published beside the executable.
return new SetupCommandLine(Console.Out, Console.Error, HostEnvironment.Current(), Path.Combine(AppContext.BaseDirectory, "payload")).Run(args);
