using System.Text.Json;

namespace Upscaler.Core.Catalog;

/// <summary>
/// Reads <c>manifest.json</c> once and answers which models exist. It checks the manifest's
/// structure; the model files themselves are verified when a session loads them.
/// </summary>
internal sealed class ModelCatalog
{
    public const string ManifestFileName = "manifest.json";

    private readonly string _directory;
    private readonly Lazy<IReadOnlyList<ModelDescriptor>> _models;

    public ModelCatalog(UpscalerSettings settings)
    {
        // Without its trailing separator ("/path/models/" as typed in UPSCALER_MODELS_DIR), so the
        // "inside the models folder" check below compares like with like.
        _directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(settings.ModelsDirectory));
        // Lazy caches a failure too: a broken manifest reports the same clear error on every call.
        _models = new Lazy<IReadOnlyList<ModelDescriptor>>(Load);
    }

    public string Directory => _directory;

    public IReadOnlyList<ModelDescriptor> Models => _models.Value;

    /// <summary>The scales available for a kind, ascending.</summary>
    public IReadOnlyList<int> ScalesFor(ModelKind kind) =>
        Models.Where(m => m.Kind == kind).Select(m => m.Scale).Distinct().Order().ToList();

    public ModelDescriptor Get(ModelKind kind, int scale) =>
        Models.FirstOrDefault(m => m.Kind == kind && m.Scale == scale)
        ?? throw new ModelCatalogException($"no {KindName(kind)} model at x{scale} in {ManifestPath}");

    public string ManifestPath => Path.Combine(_directory, ManifestFileName);

    public static string KindName(ModelKind kind) => kind.ToString().ToLowerInvariant();

    private IReadOnlyList<ModelDescriptor> Load()
    {
        string path = ManifestPath;
        if (!File.Exists(path))
            throw new ModelCatalogException($"model catalog not found: {path}");

        ManifestJson? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ManifestJson>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelCatalogException($"model catalog {path} is not valid JSON: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new ModelCatalogException($"model catalog {path} cannot be read: {e.Message}", e);
        }

        if (manifest?.Models is null)
            throw new ModelCatalogException($"model catalog {path} has no \"models\" list");
        if (manifest.FormatVersion is int v && v != 1)
            throw new ModelCatalogException($"model catalog {path} has format version {v}; this engine reads version 1");

        var models = new List<ModelDescriptor>();
        for (int i = 0; i < manifest.Models.Count; i++)
        {
            var entry = manifest.Models[i] ?? throw Invalid(i, null, "is empty");
            models.Add(ToDescriptor(i, entry));
        }

        var duplicate = models.GroupBy(m => m.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ModelCatalogException($"model catalog {path} lists the id \"{duplicate.Key}\" more than once");
        return models;
    }

    private ModelDescriptor ToDescriptor(int index, ManifestEntryJson e)
    {
        string id = Required(index, e.Id, e.Id, "id");
        if (!Enum.TryParse<ModelKind>(e.Kind, ignoreCase: true, out var kind) || int.TryParse(e.Kind, out _))
            throw Invalid(index, id, $"has kind \"{e.Kind}\"; expected general, face or text");
        int scale = e.Scale ?? throw Invalid(index, id, "has no scale");
        if (scale is < 1 or > 8)
            throw Invalid(index, id, $"has scale {scale}; expected an integer from 1 to 8");
        string file = ResolveFile(index, id, Required(index, id, e.File, "file"));
        string sha = RequireSha(index, id, e.Sha256);
        string? fp16File = e.Fp16?.File is { } f ? ResolveFile(index, id, f) : null;
        string? fp16Sha = fp16File is null ? null : RequireSha(index, id, e.Fp16!.Sha256);
        string? int8File = e.Int8?.File is { } q ? ResolveFile(index, id, q) : null;
        string? int8Sha = int8File is null ? null : RequireSha(index, id, e.Int8!.Sha256);

        var input = e.Input ?? throw Invalid(index, id, "has no input description");
        var output = e.Output ?? throw Invalid(index, id, "has no output description");
        foreach (var (t, what) in new[] { (input, "input"), (output, "output") })
        {
            if (t.Layout is not null && t.Layout != "NCHW")
                throw Invalid(index, id, $"has {what} layout {t.Layout}; only NCHW is supported");
            if (t.Channels is int c && c != 3)
                throw Invalid(index, id, $"has {c} {what} channels; only RGB (3) is supported");
        }
        float[] range = input.Range ?? [0f, 1f];
        if (range.Length != 2 || !(range[1] > range[0]))
            throw Invalid(index, id, "has an input range that is not [min, max]");
        if (output.Range is { } outRange && !outRange.SequenceEqual(range))
            throw Invalid(index, id, "has an output range different from its input range");

        int receptiveField = e.ReceptiveField ?? throw Invalid(index, id, "has no receptiveField");
        if (receptiveField is < 0 or > 512)
            throw Invalid(index, id, $"has receptiveField {receptiveField}; expected 0 to 512");

        return new ModelDescriptor(
            id, kind, scale, file, sha, fp16File, fp16Sha, int8File, int8Sha,
            Required(index, id, input.Name, "input name"),
            Required(index, id, output.Name, "output name"),
            range[0], range[1],
            e.Denoise?.Input,
            receptiveField,
            e.Features is int features and > 0 ? features : 64,
            e.FlopsPerPixel is double flops and > 0 ? flops : null,
            e.Description ?? "");
    }

    private string ResolveFile(int index, string id, string relative)
    {
        string full = Path.GetFullPath(Path.Combine(_directory, relative));
        if (!full.StartsWith(_directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw Invalid(index, id, $"has file \"{relative}\" outside the models folder");
        return full;
    }

    private string RequireSha(int index, string id, string? sha)
    {
        if (sha is null || sha.Length != 64 || !sha.All(Uri.IsHexDigit))
            throw Invalid(index, id, "has no valid sha256 (64 hex digits)");
        return sha.ToLowerInvariant();
    }

    private string Required(int index, string? id, string? value, string what) =>
        string.IsNullOrWhiteSpace(value) ? throw Invalid(index, id, $"has no {what}") : value;

    private ModelCatalogException Invalid(int index, string? id, string problem) =>
        new($"model catalog {ManifestPath}: entry {index}{(id is null ? "" : $" (\"{id}\")")} {problem}");
}
