namespace Upscaler.Cli;

internal static class ExitCodes
{
    public const int Success = 0;
    /// <summary>At least one input failed; the others were still processed.</summary>
    public const int SomeFailed = 1;
    /// <summary>The command line itself is wrong: nothing was processed.</summary>
    public const int Usage = 2;
    /// <summary>Interrupted (Ctrl+C), as shells report a SIGINT.</summary>
    public const int Cancelled = 130;
}
