namespace Upscaler.ModelImport.Ncnn;

/// <summary>One layer of an ncnn .param file with the weights it read from the .bin, by role.</summary>
internal sealed record NcnnLayer(string Type, string Name, IReadOnlyList<string> Bottoms, IReadOnlyList<string> Tops, NcnnParams Params)
{
    public Dictionary<string, float[]> Weights { get; } = new(StringComparer.Ordinal);

    public float[] Weight(string role) => Weights[role];

    public override string ToString() => $"{Type} '{Name}'";
}

/// <summary>An ncnn network: its layers in file order (ncnn requires topological order).</summary>
internal sealed record NcnnModel(string ParamFile, string BinFile, IReadOnlyList<NcnnLayer> Layers)
{
    public long ParameterCount => Layers.Sum(l => l.Weights.Values.Sum(w => (long)w.Length));
}
