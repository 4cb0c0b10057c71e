using NetVips;
using Upscaler.Core;

namespace Upscaler.Cli.Images;

/// <summary>
/// What a libvips failure means to the user. NetVips puts a generic "unable to call …" line first and
/// libvips' error log after it, where one failed write repeats itself through every layer ("write
/// error; system error: No space left on device; wbuffer_write: write failed; system error: Unknown
/// error -1; …"). The operating system's own reason, when there is one, is the line to show.
/// </summary>
internal static class VipsErrorText
{
    private const string SystemError = "system error: ";

    public static string Reason(VipsException e, PendingOutput? target = null)
    {
        var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        if (lines.Count > 1)
            lines.RemoveAt(0);
        string? system = lines.SelectMany(l => l.Split("; "))
            .Where(part => part.StartsWith(SystemError, StringComparison.Ordinal))
            .Select(part => part[SystemError.Length..])
            .FirstOrDefault(reason => !reason.StartsWith("Unknown error", StringComparison.Ordinal));
        if (system is not null)
            return system;
        string text = ErrorText.OneLine(string.Join('\n', lines));
        // The user never saw the temporary name; the file they asked for is named already.
        return target is null ? text : text.Replace(target.TemporaryPath, target.Path, StringComparison.Ordinal);
    }
}
