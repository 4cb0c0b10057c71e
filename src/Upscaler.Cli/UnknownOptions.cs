using System.CommandLine;
using System.CommandLine.Parsing;
using Quickenshtein;

namespace Upscaler.Cli;

/// <summary>
/// Finds a mistyped option among the inputs. System.CommandLine takes any token its options do not
/// claim for the INPUT argument, so <c>--denoize 0.3</c> would otherwise become two input files and
/// the real input would be processed with default settings. A dashed token that is not an existing
/// file is a usage error; after <c>--</c> every token is an input, as usual.
/// </summary>
internal static class UnknownOptions
{
    /// <summary>
    /// The first unknown option among the tokens of the invoked command's file-list arguments (the
    /// upscale's INPUT, <c>models add</c>'s FILE), as a usage message; null when there is none.
    /// </summary>
    public static string? Find(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        var inputTokens = command.Arguments.OfType<Argument<string[]>>()
            .Select(parsed.GetResult).OfType<ArgumentResult>()
            .SelectMany(r => r.Tokens).ToHashSet(ReferenceEqualityComparer.Instance);
        if (inputTokens.Count == 0)
            return null;
        foreach (var token in parsed.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
                break;
            string value = token.Value;
            if (inputTokens.Contains(token) && value.Length > 1 && value[0] == '-' && !File.Exists(value) && !Directory.Exists(value))
                return Suggest(command, value) is { } known
                    ? $"unknown option \"{value}\" (did you mean {known}?)"
                    : $"unknown option \"{value}\"";
        }
        return null;
    }

    /// <summary>The closest option name, when it is close enough to be a typo (two edits, or one in three characters for long names).</summary>
    private static string? Suggest(Command command, string typed)
    {
        string bare = typed.TrimStart('-');
        if (bare.Length < 3)
            return null;
        var names = command.Options.SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
        var (name, distance) = names
            .Select(n => (n, Levenshtein.GetDistance(bare, n[2..], CalculationOptions.Default)))
            .MinBy(c => c.Item2);
        return name is not null && distance <= Math.Max(2, bare.Length / 3) ? name : null;
    }
}
