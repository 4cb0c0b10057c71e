namespace Upscaler.DevTools.Tests;

/// <summary>Runs a developer command in process, as its tests do, and hands back what it printed.</summary>
internal static class DevCommand
{
    public static async Task<(int Code, string Output, string Error)> RunAsync(IDevCommand command, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await command.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
