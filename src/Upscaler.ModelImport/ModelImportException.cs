namespace Upscaler.ModelImport;

/// <summary>
/// The one error every converter throws: a one-line message that names the file and says what is
/// wrong with it (not a model, truncated, unknown architecture, unsupported layer, ...).
/// </summary>
public sealed class ModelImportException : Exception
{
    public ModelImportException(string file, string problem, Exception? inner = null)
        : base($"{Path.GetFileName(file)}: {problem}", inner)
    {
        File = file;
        Problem = problem;
    }

    /// <summary>The file the problem was found in.</summary>
    public string File { get; }

    /// <summary>The message without the file name.</summary>
    public string Problem { get; }
}
