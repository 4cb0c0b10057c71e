namespace Upscaler.ModelImport.Weights;

/// <summary>
/// The float tensors of a PyTorch-style state dict, by parameter name. Names are normalised on the
/// way in: a DataParallel 'module.' prefix is dropped.
/// </summary>
internal sealed class StateDict
{
    private readonly Dictionary<string, WeightTensor> tensors = new(StringComparer.Ordinal);

    public StateDict(string file, IEnumerable<WeightTensor> items)
    {
        File = file;
        foreach (var t in items)
        {
            string name = t.Name.StartsWith("module.", StringComparison.Ordinal) ? t.Name["module.".Length..] : t.Name;
            tensors[name] = t with { Name = name };
        }
    }

    /// <summary>The file the weights came from (for error messages).</summary>
    public string File { get; }

    public IReadOnlyCollection<string> Keys => tensors.Keys;

    public int Count => tensors.Count;

    public bool Contains(string name) => tensors.ContainsKey(name);

    public WeightTensor? Find(string name) => tensors.GetValueOrDefault(name);

    /// <summary>The tensor, checked to have <paramref name="rank"/> dimensions.</summary>
    public WeightTensor Get(string name, int rank)
    {
        if (!tensors.TryGetValue(name, out var t))
            throw new ModelImportException(File, $"weight '{name}' is missing (file incomplete or a different architecture)");
        if (t.Rank != rank)
            throw new ModelImportException(File, $"weight '{name}' has shape [{string.Join(",", t.Shape)}], expected {rank} dimensions");
        return t;
    }

    public long ParameterCount => tensors.Values.Sum(t => (long)t.Data.Length);
}
