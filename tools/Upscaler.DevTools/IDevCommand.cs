namespace Upscaler.DevTools;

/// <summary>One developer command: <c>upscaler-dev NAME ARGS</c>.</summary>
internal interface IDevCommand
{
    string Name { get; }
    string Usage { get; }
    string Summary { get; }

    /// <returns>The process exit code.</returns>
    Task<int> RunAsync(string[] args, TextWriter output, TextWriter error);
}
