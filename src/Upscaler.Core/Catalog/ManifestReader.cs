namespace Upscaler.Core.Catalog;

/// <summary>
/// Reads one <c>manifest.json</c> (docs/model-contract.md) into model descriptors, checking its structure.
/// Every problem is one line naming the manifest, the entry and what is wrong with it. Model files are
/// resolved against the manifest's own folder and must stay inside it; they are verified later, when a
/// session loads them.
/// </summary>
internal sealed class ManifestReader
{
    public const int MaxMargin = 512;

    private readonly string _path;
    private readonly string _directory;
    private readonly ModelOrigin _origin;

    private ManifestReader(string path, ModelOrigin origin)
    {
        _path = path;
        _directory = Path.GetDirectoryName(path)!;
        _origin = origin;
    }

    /// <summary>The entries of the manifest at <paramref name="path"/> (a full path).</summary>
    public static IReadOnlyList<ModelDescriptor> Read(string path, ModelOrigin origin) => new ManifestReader(path, origin).Read();

    private IReadOnlyList<ModelDescriptor> Read()
    {
        if (!File.Exists(_path))
            throw new ModelCatalogException($"model catalog not found: {_path}");

        var manifest = CatalogFiles.ReadJson<ManifestJson>(_path, "model catalog");

        if (manifest?.Models is null)
            throw new ModelCatalogException($"model catalog {_path} has no \"models\" list");
        if (manifest.FormatVersion is int v && v != 1)
            throw new ModelCatalogException($"model catalog {_path} has format version {v}; this engine reads version 1");

        var models = new List<ModelDescriptor>();
        for (int i = 0; i < manifest.Models.Count; i++)
        {
            var entry = manifest.Models[i] ?? throw Invalid(i, null, "is empty");
            models.Add(ToDescriptor(i, entry));
        }

        var duplicate = models.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ModelCatalogException($"model catalog {_path} lists the id \"{duplicate.Key}\" more than once");
        return models;
    }

    private ModelDescriptor ToDescriptor(int index, ManifestEntryJson e)
    {
        string id = Required(index, e.Id, e.Id, "id");
        if (!Enum.TryParse<ModelKind>(e.Kind, ignoreCase: true, out var kind) || int.TryParse(e.Kind, out _))
            throw Invalid(index, id, $"has kind \"{e.Kind}\"; expected {string.Join(", ", Enum.GetNames<ModelKind>().Select(n => n.ToLowerInvariant()))}");
        int scale = e.Scale ?? throw Invalid(index, id, "has no scale");
        if (scale is < 1 or > 8)
            throw Invalid(index, id, $"has scale {scale}; expected an integer from 1 to 8");
        var float32 = new ModelFile(ResolveFile(index, id, Required(index, id, e.File, "file")), RequireSha(index, id, e.Sha256));

        var input = e.Input ?? throw Invalid(index, id, "has no input description");
        var output = e.Output ?? throw Invalid(index, id, "has no output description");
        foreach (var (t, what) in new[] { (input, "input"), (output, "output") })
        {
            if (t.Layout is not null && t.Layout != "NCHW")
                throw Invalid(index, id, $"has {what} layout {t.Layout}; only NCHW is supported");
            if (t.Channels is int c && c != 3)
                throw Invalid(index, id, $"has {c} {what} channels; only 3 colour channels are supported");
        }
        float[] range = input.Range ?? [0f, 1f];
        if (range.Length != 2 || !(range[1] > range[0]))
            throw Invalid(index, id, "has an input range that is not [min, max]");
        if (output.Range is { } outRange && !outRange.SequenceEqual(range))
            throw Invalid(index, id, "has an output range different from its input range");
        var order = ParseOrder(index, id, input.Order);
        if (output.Order is not null && ParseOrder(index, id, output.Order) != order)
            throw Invalid(index, id, "has an output channel order different from its input's");

        return new ModelDescriptor(
            id, kind, scale, float32, FileRef(index, id, e.Fp16), FileRef(index, id, e.Int8),
            Required(index, id, input.Name, "input name"),
            Required(index, id, output.Name, "output name"),
            range[0], range[1], order,
            e.Denoise?.Input,
            Tiling(index, id, e),
            e.Features is int features and > 0 ? features : 64,
            e.FlopsPerPixel is double flops and > 0 ? flops : null,
            e.Description ?? "",
            _origin, e.Architecture, e.Licence, e.Source,
            Statistics(index, id, e),
            FileRef(index, id, e.Int8Avx2),
            e.MemoryPerPixel is double memory and > 0 ? memory : null);
    }

    private ModelStatistics? Statistics(int index, string id, ManifestEntryJson e)
    {
        if (e.Statistics is not { } s)
            return null;
        var file = new ModelFile(ResolveFile(index, id, Required(index, id, s.File, "statistics file")), RequireSha(index, id, s.Sha256));
        if (s.Values is not { Count: > 0 })
            throw Invalid(index, id, "has a statistics graph without values");
        var values = s.Values.Select(v => v?.Name is { Length: > 0 } name && v.Channels is int c and > 0 && v.Kind is "mean" or "max"
            ? new PooledValue(name, c, v.Kind == "max")
            : throw Invalid(index, id, "has a statistics value without a name, channel count or kind (mean or max)")).ToList();
        if (e.Overlap is not null)
            throw Invalid(index, id, "has a statistics graph and an overlap: a split model's main graph is local, give its receptiveField");
        return new ModelStatistics(file, values);
    }

    private ModelTiling Tiling(int index, string id, ManifestEntryJson e) => (e.ReceptiveField, e.Overlap) switch
    {
        (int rf, null) when rf is >= 0 and <= MaxMargin => ModelTiling.Exact(rf),
        (null, int overlap) when overlap is > 0 and <= MaxMargin => ModelTiling.Overlapped(overlap),
        (int rf, null) => throw Invalid(index, id, $"has receptiveField {rf}; expected 0 to {MaxMargin}"),
        (null, int overlap) => throw Invalid(index, id, $"has overlap {overlap}; expected 1 to {MaxMargin}"),
        (null, null) => throw Invalid(index, id, "has neither receptiveField nor overlap"),
        _ => throw Invalid(index, id, "has both receptiveField and overlap; give one"),
    };

    private ChannelOrder ParseOrder(int index, string id, string? order) => order?.ToUpperInvariant() switch
    {
        null or "RGB" => ChannelOrder.Rgb,
        "BGR" => ChannelOrder.Bgr,
        _ => throw Invalid(index, id, $"has channel order \"{order}\"; expected RGB or BGR"),
    };

    private ModelFile? FileRef(int index, string id, FileRefJson? reference) =>
        reference?.File is { } file ? new ModelFile(ResolveFile(index, id, file), RequireSha(index, id, reference.Sha256)) : null;

    private string ResolveFile(int index, string id, string relative)
    {
        return CatalogFiles.Inside(_directory, relative)
            ?? throw Invalid(index, id, $"has file \"{relative}\" outside the models folder");
    }

    private string RequireSha(int index, string id, string? sha)
    {
        if (!CatalogFiles.IsSha256(sha))
            throw Invalid(index, id, "has no valid sha256 (64 hex digits)");
        return sha.ToLowerInvariant();
    }

    private string Required(int index, string? id, string? value, string what) =>
        string.IsNullOrWhiteSpace(value) ? throw Invalid(index, id, $"has no {what}") : value;

    private ModelCatalogException Invalid(int index, string? id, string problem) =>
        new($"model catalog {_path}: entry {index}{(id is null ? "" : $" (\"{id}\")")} {problem}");
}
