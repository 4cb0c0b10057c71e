using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Upscaler.Core.Catalog;

/// <summary>
/// Every model the engine can run, read once from up to three manifests, in this order of precedence:
/// our own (<c>models/manifest.json</c>, required), the bundled open models (<c>models/open/manifest.json</c>,
/// present when they were fetched) and the user's (<see cref="UpscalerSettings.UserModelsDirectory"/>).
/// A kind resolves to its first model at each scale in that order, so our own models stay the default.
/// A broken user catalog is reported and skipped: it must not take the shipped models down with it.
/// </summary>
internal sealed class ModelCatalog
{
    public const string ManifestFileName = "manifest.json";
    public const string BundledFolderName = "open";

    private readonly string _directory;
    private readonly string? _userDirectory;
    private readonly ILogger _logger;
    private volatile Lazy<IReadOnlyList<ModelDescriptor>> _models;

    public ModelCatalog(UpscalerSettings settings, ILogger<ModelCatalog>? logger = null)
    {
        _directory = Normalise(settings.ModelsDirectory);
        _userDirectory = settings.UserModelsDirectory is { Length: > 0 } user ? Normalise(user) : null;
        _logger = logger ?? NullLogger<ModelCatalog>.Instance;
        // Lazy caches a failure too: a broken manifest reports the same clear error on every call.
        _models = new Lazy<IReadOnlyList<ModelDescriptor>>(Load);
    }

    /// <summary>The shipped models folder (holding <c>manifest.json</c>).</summary>
    public string Directory => _directory;

    public string? UserDirectory => _userDirectory;

    public string ManifestPath => Path.Combine(_directory, ManifestFileName);

    public string BundledManifestPath => Path.Combine(_directory, BundledFolderName, ManifestFileName);

    public IReadOnlyList<ModelDescriptor> Models => _models.Value;

    /// <summary>Reads the manifests again on next use (after a model was added or removed).</summary>
    public void Reload() => _models = new Lazy<IReadOnlyList<ModelDescriptor>>(Load);

    /// <summary>The scales available for a kind, ascending.</summary>
    public IReadOnlyList<int> ScalesFor(ModelKind kind) =>
        Models.Where(m => m.Kind == kind).Select(m => m.Scale).Distinct().Order().ToList();

    public ModelDescriptor Get(ModelKind kind, int scale) =>
        Models.FirstOrDefault(m => m.Kind == kind && m.Scale == scale)
        ?? throw new ModelCatalogException($"no {KindName(kind)} model at x{scale} in {ManifestPath}");

    /// <summary>The entry with this id, or a one-line error listing what there is.</summary>
    public ModelDescriptor GetById(string id) =>
        Models.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.OrdinalIgnoreCase))
        ?? throw new ModelCatalogException(
            $"no model with id \"{id}\" is installed (installed: {string.Join(", ", Models.Select(m => m.Id))})");

    /// <summary>The folder a descriptor's manifest lives in, for paths shown relative to it.</summary>
    public string DirectoryOf(ModelDescriptor model) => model.Origin switch
    {
        ModelOrigin.Bundled => Path.Combine(_directory, BundledFolderName),
        ModelOrigin.User => _userDirectory!,
        _ => _directory,
    };

    public static string KindName(ModelKind kind) => kind.ToString().ToLowerInvariant();

    /// <summary>Full path without a trailing separator, so "models/" and "models" name the same folder.</summary>
    public static string Normalise(string directory) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));

    private IReadOnlyList<ModelDescriptor> Load()
    {
        var models = new List<ModelDescriptor>(ManifestReader.Read(ManifestPath, ModelOrigin.Shipped));
        if (File.Exists(BundledManifestPath))
            AddUnique(models, ManifestReader.Read(BundledManifestPath, ModelOrigin.Bundled), BundledManifestPath, strict: true);

        string? userManifest = _userDirectory is null ? null : Path.Combine(_userDirectory, ManifestFileName);
        if (userManifest is not null && File.Exists(userManifest))
        {
            try
            {
                AddUnique(models, ManifestReader.Read(userManifest, ModelOrigin.User), userManifest, strict: false);
            }
            catch (ModelCatalogException e)
            {
                _logger.LogWarning("your models are not listed: {Reason}", e.Message);
            }
        }
        return models;
    }

    private void AddUnique(List<ModelDescriptor> models, IReadOnlyList<ModelDescriptor> more, string manifest, bool strict)
    {
        foreach (var model in more)
        {
            if (models.All(m => !string.Equals(m.Id, model.Id, StringComparison.OrdinalIgnoreCase)))
            {
                models.Add(model);
                continue;
            }
            string problem = $"model catalog {manifest} repeats the id \"{model.Id}\" of an installed model";
            if (strict)
                throw new ModelCatalogException(problem);
            _logger.LogWarning("{Problem}; that entry is skipped", problem);
        }
    }
}
