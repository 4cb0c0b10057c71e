namespace Upscaler.Core;

/// <summary>
/// The one policy for turning an error message into the single line that every front end prints (the
/// command line), sends (the bridge's ERROR frames) or shows (the plug-ins, the installer): line breaks
/// and tabs folded, repeated lines dropped, and the stack traces some native libraries append cut off.
/// </summary>
public static class ErrorText
{
    public static string OneLine(string? message)
    {
        var lines = new List<string>();
        foreach (var line in (message ?? "").Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // .NET frames ("at X.Y()") and ONNX Runtime's "Stacktrace:" block carry nothing a user can act on.
            if (line.StartsWith("at ", StringComparison.Ordinal) || line.StartsWith("Stacktrace:", StringComparison.Ordinal))
                break;
            string folded = string.Join(' ', line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (!lines.Contains(folded))
                lines.Add(folded);
        }
        if (lines.Count == 0)
            return "no details given";
        // A line ending in a colon introduces the next ("must be one of: 'a'"); other lines are separate reasons.
        var text = new System.Text.StringBuilder(lines[0]);
        for (int i = 1; i < lines.Count; i++)
            text.Append(lines[i - 1].EndsWith(':') ? " " : "; ").Append(lines[i]);
        return text.ToString();
    }

    /// <summary>An exception no code path expected (a bug of ours), in one line naming its type.</summary>
    public static string Internal(Exception e) => $"internal error ({e.GetType().Name}): {OneLine(e.Message)}";
}
